"""REST API of the police module's meetings area (under ``/api/v1/police/``)."""

routes: list = []
