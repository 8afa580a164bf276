"""A small OpenID Connect provider (django-oauth-toolkit) that the sign-in tests run in a process
of its own, as a company's identity provider would be."""
