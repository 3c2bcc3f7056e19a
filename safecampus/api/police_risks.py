"""REST API of the police module's risks area (under ``/api/v1/police/``)."""

routes: list = []
