"""StreamField blocks shared by the platform's pages."""

from django.utils.translation import gettext_lazy as _
from wagtail import blocks

RICH_TEXT_FEATURES = ["h2", "h3", "bold", "italic", "ol", "ul", "link", "document-link"]


class SectionLinkBlock(blocks.StructBlock):
    """A card leading to one part of the platform (consultations, the map, forums...)."""

    title = blocks.CharBlock(label=_("Title"), max_length=80)
    description = blocks.TextBlock(label=_("Description"), max_length=300)
    page = blocks.PageChooserBlock(label=_("Page"), required=False)
    url = blocks.CharBlock(
        label=_("Or a path on this site"),
        required=False,
        max_length=200,
        help_text=_("For sections that are not CMS pages, such as /places/."),
    )

    class Meta:
        icon = "link"
        template = "engagement/blocks/section_link.html"

    def clean(self, value):
        value = super().clean(value)
        url = value.get("url") or ""
        if not value.get("page") and not url:
            raise blocks.StructBlockValidationError(
                block_errors={"url": [_("Choose a page or enter a path.")]}
            )
        if url and not url.startswith("/"):
            raise blocks.StructBlockValidationError(
                block_errors={"url": [_("Enter a path on this site, starting with /.")]}
            )
        return value


class SectionLinksBlock(blocks.StructBlock):
    heading = blocks.CharBlock(label=_("Heading"), max_length=80)
    links = blocks.ListBlock(SectionLinkBlock(), label=_("Links"))

    class Meta:
        icon = "list-ul"
        template = "engagement/blocks/section_links.html"


class ContentStreamBlock(blocks.StreamBlock):
    heading = blocks.CharBlock(
        label=_("Heading"), max_length=120, template="engagement/blocks/heading.html"
    )
    paragraph = blocks.RichTextBlock(label=_("Paragraph"), features=RICH_TEXT_FEATURES)
    inset = blocks.TextBlock(label=_("Inset text"), template="engagement/blocks/inset.html")


class HomeStreamBlock(ContentStreamBlock):
    section_links = SectionLinksBlock(label=_("Section links"))
