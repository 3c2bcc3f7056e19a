"""Pages under /education/. Each area of the module keeps its routes beside its views."""

from .views import activities, attendance, checker, home, library, quizzes, warnings

app_name = "education"

urlpatterns = [
    *home.urls,
    *activities.urls,
    *attendance.urls,
    *quizzes.urls,
    *library.urls,
    *checker.urls,
    *warnings.urls,
]
