"""REST API of the police module's bulletins area (under ``/api/v1/police/``)."""

routes: list = []
