// What every map on the site shares: a Leaflet map over our own ward boundaries, with background
// tiles only if a tile server is configured (and no harm done if it cannot be reached).

export async function baseMap(box, L, options = {}) {
  const mapElement = box.querySelector("[data-map]");
  box.hidden = false;
  const map = L.map(mapElement, { keyboard: true, ...options });
  if (box.dataset.tileUrl) {
    L.tileLayer(box.dataset.tileUrl, { attribution: box.dataset.attribution, maxZoom: 19 }).addTo(map);
  }
  const response = await fetch(box.dataset.areasUrl, { headers: { Accept: "application/geo+json" } });
  const areas = response.ok ? await response.json() : { features: [] };
  const layer = L.geoJSON(areas, { style: { className: "cg-map__area" }, interactive: false }).addTo(map);
  if (layer.getBounds().isValid()) map.fitBounds(layer.getBounds());
  else map.setView([52.2, -1.35], 10);
  return { map, areas, mapElement };
}
