"""Pages for people, rendered on the server: phone first, Chinese by default, no build step."""
