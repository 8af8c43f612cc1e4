// The pride and shame map, drawn over a page that already works without it: the filters and the
// list of pins are the page; this adds a map of the same pins. Hotspots come from the server for
// each viewport (never every pin), so a million pins cost the browser no more than a hundred.
// Proud pins are round with a star, ashamed pins square with "!", so colour is never the only cue.

import { format } from "./format.js";
import { baseMap } from "./map-base.js";

const DEBOUNCE_MS = 250;

function labelled(marker, label) {
  const element = marker.getElement();
  if (element) {
    element.setAttribute("aria-label", label);
    element.setAttribute("title", label);
  }
  return marker;
}

function cellIcon(L, { pride, shame }, box) {
  const total = pride + shame;
  const size = total >= 1000 ? "xl" : total >= 100 ? "l" : total >= 10 ? "m" : "s";
  // The marker's name is its own text: visible counts plus visually hidden words (WCAG 2.5.3).
  const hidden = (text) => `<span class="govuk-visually-hidden">${text}</span>`;
  const html =
    `${hidden(box.dataset.hiddenHotspot)}` +
    `<span class="cg-hotspot__pride"><span aria-hidden="true">★</span>${pride}${hidden(box.dataset.hiddenProud)}</span>` +
    `<span class="cg-hotspot__shame"><span aria-hidden="true">!</span>${shame}${hidden(box.dataset.hiddenAshamed)}</span>`;
  return L.divIcon({ className: `cg-hotspot cg-hotspot--${size}`, html, iconSize: null });
}

function pinIcon(L, kind) {
  const glyph = kind === "pride" ? "★" : "!";
  return L.divIcon({
    className: `cg-pin cg-pin--${kind}`,
    html: `<span aria-hidden="true">${glyph}</span>`,
    iconSize: [28, 28],
    iconAnchor: [14, 14],
  });
}

let labels = null;
function statusLabels() {
  labels ??= JSON.parse(document.getElementById("pin-status-labels")?.textContent || "{}");
  return labels;
}

function popupContent(feature, box) {
  const { kind, category, description, status: code } = feature.properties;
  const wrapper = document.createElement("div");
  const title = document.createElement("p");
  title.className = "govuk-body-s govuk-!-font-weight-bold govuk-!-margin-bottom-1";
  title.textContent = `${kind === "pride" ? box.dataset.labelPride : box.dataset.labelShame}: ${category}`;
  const text = document.createElement("p");
  text.className = "govuk-body-s govuk-!-margin-bottom-1";
  text.textContent = description;
  const status = document.createElement("p");
  status.className = "govuk-body-s govuk-!-margin-bottom-1";
  status.textContent = `${box.dataset.statusLabel} ${statusLabels()[code] || code}`;
  const link = document.createElement("a");
  link.className = "govuk-link govuk-body-s";
  link.href = box.dataset.pinUrl.replace("/0/", `/${feature.id}/`);
  link.textContent = box.dataset.openLabel || "Open the pin";
  wrapper.append(title, text, status, link);
  return wrapper;
}

async function initPinMap(box, L) {
  const { map, mapElement } = await baseMap(box, L, { minZoom: 7, maxZoom: 19 });
  const status = box.querySelector("[data-map-status]");
  const layer = L.layerGroup().addTo(map);
  let controller = null;
  let timer = null;

  const load = async () => {
    controller?.abort();
    controller = new AbortController();
    const bounds = map.getBounds();
    const clamp = (value, low, high) => Math.min(high, Math.max(low, value));
    const bbox = [
      clamp(bounds.getWest(), -180, 180),
      clamp(bounds.getSouth(), -85, 85),
      clamp(bounds.getEast(), -180, 180),
      clamp(bounds.getNorth(), -85, 85),
    ].map((n) => n.toFixed(5));
    const params = new URLSearchParams(box.dataset.filters || "");
    params.delete("page");
    params.set("bbox", bbox.join(","));
    params.set("zoom", String(Math.round(map.getZoom())));
    let data;
    try {
      const response = await fetch(`${box.dataset.hotspotsUrl}?${params}`, { signal: controller.signal });
      if (!response.ok) return;
      data = await response.json();
    } catch {
      return; // aborted by a newer move, or offline: the list below still works
    }
    layer.clearLayers();
    const size = map.getSize();
    const EDGE = 48; // hotspots at the edge would be cut off; panning brings them in
    for (const feature of data.features) {
      const [lon, lat] = feature.geometry.coordinates;
      if (data.mode === "cells") {
        const point = map.latLngToContainerPoint([lat, lon]);
        if (point.x < EDGE || point.y < EDGE || point.x > size.x - EDGE || point.y > size.y - EDGE) {
          continue;
        }
        const zoomIn = () => {
          map.setView([lat, lon], Math.min(map.getZoom() + 2, 19));
          mapElement.focus(); // the marker is about to be replaced
        };
        const marker = L.marker([lat, lon], { icon: cellIcon(L, feature.properties, box), keyboard: true })
          .on("click", zoomIn)
          .addTo(layer);
        marker.getElement()?.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") {
            event.preventDefault();
            zoomIn();
          }
        });
      } else {
        const { kind, category } = feature.properties;
        const label = `${kind === "pride" ? box.dataset.labelPride : box.dataset.labelShame}: ${category}`;
        const marker = L.marker([lat, lon], { icon: pinIcon(L, kind), keyboard: true })
          .bindPopup(() => popupContent(feature, box))
          .addTo(layer);
        labelled(marker, label);
      }
    }
    const template = data.mode === "cells" ? box.dataset.summaryCells : box.dataset.summaryPins;
    status.textContent = format(template, {
      pride: data.pride,
      shame: data.shame,
      cells: data.features.length,
    });
  };
  map.on("moveend", () => {
    clearTimeout(timer);
    timer = setTimeout(load, DEBOUNCE_MS);
  });
  load();
}

async function initEpicentreMap(box, L) {
  const { map } = await baseMap(box, L, { minZoom: 7, maxZoom: 19 });
  const markers = JSON.parse(document.getElementById("epicentre-markers").textContent);
  const group = L.featureGroup().addTo(map);
  for (const { rank, lon, lat, label } of markers) {
    const icon = L.divIcon({
      className: "cg-pin cg-pin--shame cg-pin--rank",
      html: `<span>${rank}</span>`,
      iconSize: [28, 28],
      iconAnchor: [14, 14],
    });
    // The ranked table carries the information; these markers are a picture of it, not controls.
    const marker = L.marker([lat, lon], { icon, keyboard: false, interactive: false }).addTo(group);
    marker.getElement()?.setAttribute("aria-hidden", "true");
  }
  if (markers.length) map.fitBounds(group.getBounds().pad(0.2));
}

export async function initPinMaps(root = document) {
  const pinMaps = root.querySelectorAll("[data-pin-map]");
  const epicentreMaps = root.querySelectorAll("[data-epicentre-map]");
  if (!pinMaps.length && !epicentreMaps.length) return;
  const L = await import("../vendor/leaflet/leaflet-src.esm.js");
  for (const box of pinMaps) {
    initPinMap(box, L).catch(() => {
      box.hidden = true; // the list of pins is still there
    });
  }
  for (const box of epicentreMaps) {
    initEpicentreMap(box, L).catch(() => {
      box.hidden = true; // the ranked table is still there
    });
  }
}
