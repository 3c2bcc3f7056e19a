"""Forms of the organisation pages. They parse input only; the rules are in importing.py."""

from safecampus.core.spreadsheets import SpreadsheetUploadForm


class OrganisationUploadForm(SpreadsheetUploadForm):
    """The upload of one kind of sheet (units, places or users); the kind prefixes the field
    names so that the three forms on one page stay apart."""

    def __init__(self, *args, kind: str, **kwargs):
        kwargs.setdefault("prefix", kind)
        super().__init__(*args, **kwargs)
        self.kind = kind
