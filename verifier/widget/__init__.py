"""The widget's static files (embed.html, refused.html, widget.js, widget.css, embed.js), shipped
as package data and served by verifier.web.embed. No third-party requests, cookies or storage."""
