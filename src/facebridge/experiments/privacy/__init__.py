"""The privacy audit: linking leaked templates across models, and the template protections measured both ways."""
