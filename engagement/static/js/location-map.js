// A map for choosing a point, on top of a form that already works without it: the ward select and
// the latitude/longitude fields stay the source of truth, and the map only fills them in.
// Keyboard: focus the map, move it with the arrow keys (+/- to zoom) and press Enter or Space to put
// the pin at the centre (marked by cross-hairs). Ward boundaries come from our own data, so the map
// is usable when no tile server can be reached.

import { baseMap } from "./map-base.js";

function ringContains(ring, [x, y]) {
  let inside = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i];
    const [xj, yj] = ring[j];
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

function polygonContains(rings, point) {
  return ringContains(rings[0], point) && !rings.slice(1).some((hole) => ringContains(hole, point));
}

export function featureContaining(features, lon, lat) {
  return features.find(({ geometry }) => {
    if (!geometry) return false;
    const polygons = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
    return polygons.some((rings) => polygonContains(rings, [lon, lat]));
  });
}

async function initMap(box, L) {
  const form = box.closest("form");
  const field = (id) => form.querySelector(`#${CSS.escape(id)}`);
  const ward = field(box.dataset.wardField);
  const lat = field(box.dataset.latField);
  const lon = field(box.dataset.lonField);
  const status = box.querySelector("[data-map-status]");
  const { map, areas, mapElement } = await baseMap(box, L, { zoomSnap: 0.5 });

  const icon = L.divIcon({ className: "cg-map__pin", iconSize: [24, 24], iconAnchor: [12, 24] });
  let marker = null;
  const place = (latlng) => {
    const found = featureContaining(areas.features, latlng.lng, latlng.lat);
    if (!found) {
      status.textContent = box.dataset.outsideMessage;
      return;
    }
    marker = marker ? marker.setLatLng(latlng) : L.marker(latlng, { icon, keyboard: false }).addTo(map);
    lat.value = latlng.lat.toFixed(6);
    lon.value = latlng.lng.toFixed(6);
    ward.value = String(found.properties.id);
    status.textContent = box.dataset.placedMessage.replace("%s", found.properties.name);
  };
  map.on("click", (event) => place(event.latlng));
  mapElement.addEventListener("keydown", (event) => {
    if (event.target !== mapElement) return;
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      place(map.getCenter());
    }
  });
  if (lat.value && lon.value) {
    const latlng = L.latLng(Number(lat.value), Number(lon.value));
    marker = L.marker(latlng, { icon, keyboard: false }).addTo(map);
  }
}

export async function initLocationMaps(root = document) {
  const boxes = root.querySelectorAll("[data-location-map]");
  if (!boxes.length) return;
  const L = await import("../vendor/leaflet/leaflet-src.esm.js");
  for (const box of boxes) {
    initMap(box, L).catch(() => {
      box.hidden = true; // the ward select and coordinates still work
    });
  }
}
