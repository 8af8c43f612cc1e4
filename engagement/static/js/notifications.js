// Live notices for a signed-in person ("the council has answered a place you pinned"), pushed over
// the per-person WebSocket. A bonus on top of the email and the "Your pins" page: if the socket
// cannot connect, nothing is lost. Announced politely through the region's role="status".

import { format } from "./format.js";

const MAX_DELAY_MS = 60_000;
const CLOSE_UNAUTHENTICATED = 4401;

// What each notice says and where its link goes: the text comes from the region's data-*
// attributes (translated in the template); the link from the page or the payload.
const NOTICES = {
  pin_update: (region) => ({
    message: region.dataset.message,
    href: region.dataset.mineUrl,
    link: region.dataset.link,
  }),
  forum_post_hidden: (region, payload) => ({
    message: region.dataset.forumHiddenMessage,
    href: payload.url,
    link: region.dataset.forumHiddenLink,
  }),
};

function show(region, notice, payload) {
  const paragraph = document.createElement("p");
  paragraph.className = "govuk-body govuk-!-margin-bottom-0";
  paragraph.textContent = `${format(notice.message, payload)} `;
  const link = document.createElement("a");
  link.className = "govuk-link";
  link.href = notice.href;
  link.textContent = notice.link;
  paragraph.append(link);
  region.replaceChildren(paragraph);
  region.classList.add("cg-live-notice--shown");
}

export function initNotifications(root = document) {
  const region = root.querySelector("[data-live-notifications]");
  if (!region || !("WebSocket" in window)) return;
  let delay = 1000;
  const connect = () => {
    const scheme = window.location.protocol === "https:" ? "wss" : "ws";
    const socket = new WebSocket(`${scheme}://${window.location.host}${region.dataset.url}`);
    socket.addEventListener("open", () => {
      delay = 1000;
    });
    socket.addEventListener("message", (event) => {
      let data;
      try {
        data = JSON.parse(event.data);
      } catch {
        return;
      }
      const notice = Object.hasOwn(NOTICES, data.event) && NOTICES[data.event];
      if (notice && data.payload) show(region, notice(region, data.payload), data.payload);
    });
    socket.addEventListener("close", (event) => {
      if (event.code === CLOSE_UNAUTHENTICATED) return;
      setTimeout(connect, delay);
      delay = Math.min(delay * 2, MAX_DELAY_MS);
    });
  };
  connect();
}
