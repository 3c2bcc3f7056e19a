"""REST API of the police module's partners area (under ``/api/v1/police/``)."""

routes: list = []
