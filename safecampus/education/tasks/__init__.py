"""Education tasks: one module per area, imported here so the task consumer finds them."""

from . import activities, attendance, checker, library, quizzes, warnings  # noqa: F401
