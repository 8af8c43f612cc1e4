// Fill a translated template's "%(name)s" placeholders (Django's style) with values.
export function format(template, values) {
  return template.replace(/%\((\w+)\)s/g, (_, key) => String(values[key] ?? ""));
}
