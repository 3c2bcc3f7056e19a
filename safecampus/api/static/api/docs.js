/* Starts Swagger UI on /api/docs/ (kept out of the page: the CSP forbids inline scripts).
   Requests made from the page carry the CSRF token, so "Try it out" works when signed in. */
(function () {
  "use strict";
  var node = document.getElementById("swagger-ui");
  if (!node || typeof window.SwaggerUIBundle === "undefined") {
    return;
  }
  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }
  window.SwaggerUIBundle({
    url: node.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    deepLinking: true,
    persistAuthorization: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    requestInterceptor: function (request) {
      var token = csrfToken();
      if (token) {
        request.headers["X-CSRFToken"] = token;
      }
      return request;
    }
  });
})();
