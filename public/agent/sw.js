// The agent desktop's service worker: it only shows offer notifications (a page's own
// Notification cannot be clicked back to from another window on every system) and, when one is
// clicked, brings the desk's tab forward.
self.addEventListener('install', () => self.skipWaiting());
self.addEventListener('activate', (event) => event.waitUntil(self.clients.claim()));
self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    self.clients.matchAll({ type: 'window', includeUncontrolled: true }).then((windows) => {
      const desk = windows.find((w) => new URL(w.url).pathname.startsWith('/agent/'));
      return desk ? desk.focus() : self.clients.openWindow('/agent/');
    }),
  );
});
