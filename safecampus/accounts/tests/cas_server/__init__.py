"""A tiny Django project running django-cas-server: the CAS server of the single sign-on
tests, started on loopback by :func:`fixture.cas_server`. Not part of SafeCampus."""
