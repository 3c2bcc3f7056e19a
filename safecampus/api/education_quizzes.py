"""REST API of quizzes: ``/api/v1/education/quizzes/…`` (thin entry points).

- ``quizzes/``: the quizzes assigned to me (people who set quizzes get every quiz; with
  ``?mine=true`` only theirs to take), each with my attempts and best score;
- ``quizzes/{id}/``: one quiz; people who set quizzes also get its questions (options, never
  the answers); takers get no questions here — only through a started attempt;
- ``quizzes/{id}/attempts/`` (POST): start (or resume) my attempt; 201 with the questions in
  my order (no answers);
- ``quizzes/attempts/{id}/`` my attempt (score and right count once submitted; the right
  answers and explanations only once the quiz has closed);
- ``quizzes/attempts/{id}/submit/`` (POST ``{"answers": {"<question id>": [0, 2]}}``): score it.
  A second submit returns the scored attempt unchanged (200). Refused after the deadline or
  the time limit (400 ``closed`` / ``time_up``), unknown question or option (400
  ``bad_answers``), not mine (403/404).

Reads go through :mod:`safecampus.education.selectors.quizzes`, writes call
:mod:`safecampus.education.services.quizzes` as the pages do. ``kind`` is a plain string (its
choices would add an enum named "Kind" colliding with other modules').
"""

from django.utils.translation import gettext_lazy
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from safecampus.core.errors import NotAllowed
from safecampus.education.models import Question, Quiz, QuizAttempt
from safecampus.education.selectors import quizzes as selectors
from safecampus.education.services import quizzes as services

from .hazards import _errors
from .pagination import CountlessPagination


class QuestionPublicSerializer(serializers.ModelSerializer):
    """A question as a taker sees it: no answer, no explanation."""

    kind = serializers.CharField(help_text=gettext_lazy("single, multiple or true_false."))
    kind_display = serializers.CharField(source="get_kind_display")
    options = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = Question
        fields = ["id", "number", "kind", "kind_display", "stem", "options"]
        read_only_fields = fields


class QuestionReviewSerializer(QuestionPublicSerializer):
    answer = serializers.ListField(child=serializers.IntegerField(), help_text=gettext_lazy(
        "0-based indexes of the correct options."))

    class Meta(QuestionPublicSerializer.Meta):
        fields = [*QuestionPublicSerializer.Meta.fields, "answer", "explanation"]
        read_only_fields = fields


class QuizSerializer(serializers.ModelSerializer):
    bank = serializers.CharField(source="bank.name")
    question_count = serializers.IntegerField(source="n_questions")
    state = serializers.SerializerMethodField(help_text=gettext_lazy("upcoming, open or closed."))
    my_attempts = serializers.IntegerField(default=0)
    my_best = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True,
                                       default=None)
    my_passed = serializers.BooleanField(default=False)

    class Meta:
        model = Quiz
        fields = ["id", "title", "bank", "instructions", "opens_at", "closes_at",
                  "time_limit_minutes", "pass_mark", "max_attempts", "question_count", "state",
                  "my_attempts", "my_best", "my_passed"]
        read_only_fields = fields

    def get_state(self, quiz) -> str:
        return selectors.quiz_state(quiz)


class QuizDetailSerializer(QuizSerializer):
    """A quiz with its questions, for the people who set quizzes."""

    questions = serializers.SerializerMethodField()

    class Meta(QuizSerializer.Meta):
        fields = [*QuizSerializer.Meta.fields, "questions"]
        read_only_fields = fields

    @extend_schema_field(QuestionPublicSerializer(many=True))
    def get_questions(self, quiz) -> list[dict]:
        return QuestionPublicSerializer(selectors.quiz_questions(quiz), many=True).data


class AttemptSerializer(serializers.ModelSerializer):
    quiz = serializers.IntegerField(source="quiz_id", read_only=True)
    deadline = serializers.SerializerMethodField(help_text=gettext_lazy(
        "When answers stop being accepted (deadline or time limit)."))
    questions = serializers.SerializerMethodField(help_text=gettext_lazy(
        "In this attempt's order; right answers and explanations only once submitted and the "
        "quiz has closed."))
    answers = serializers.SerializerMethodField(help_text=gettext_lazy(
        "My chosen option indexes (0-based) by question id."))
    score = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)

    class Meta:
        model = QuizAttempt
        fields = ["id", "quiz", "number", "started_at", "submitted_at", "deadline",
                  "correct_count", "score", "passed", "answers", "questions"]
        read_only_fields = fields

    def get_deadline(self, attempt) -> str:
        return serializers.DateTimeField().to_representation(services.attempt_deadline(attempt))

    @extend_schema_field(serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField())))
    def get_answers(self, attempt) -> dict:
        return selectors.attempt_chosen(attempt)

    @extend_schema_field(QuestionReviewSerializer(many=True))
    def get_questions(self, attempt) -> list[dict]:
        rows = selectors.quiz_questions(attempt.quiz, attempt.question_order)
        serializer = (QuestionReviewSerializer if selectors.attempt_reveals(attempt)
                      else QuestionPublicSerializer)
        return serializer(rows, many=True).data


class QuizSubmitInput(serializers.Serializer):
    answers = serializers.DictField(
        child=serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=99),
                                    max_length=8),
        help_text=gettext_lazy("Question id → chosen option indexes (0-based)."))


MINE = OpenApiParameter("mine", bool, description=gettext_lazy(
    "Only quizzes assigned to me (for people who set quizzes)."))


@extend_schema(tags=["education"])
class QuizViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    pagination_class = CountlessPagination
    lookup_value_converter = "int"

    def _sets_quizzes(self) -> bool:
        """The requester sets quizzes (and is not asking for their own to take)."""
        mine = self.request.query_params.get("mine") in ("1", "true", "True")
        return (self.request.user.has_perm(services.MANAGE)
                and not (mine and self.action == "list"))

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Quiz.objects.none()
        user = self.request.user
        if not user.has_perm(services.TAKE):
            raise NotAllowed()
        if self._sets_quizzes():
            return selectors.quizzes_all()
        return selectors.my_quizzes(user)

    def get_serializer_class(self):
        if getattr(self, "swagger_fake_view", False):
            return QuizDetailSerializer if self.action == "retrieve" else QuizSerializer
        # takers get no questions here: they come with a started attempt, while it is open
        if self.action == "retrieve" and self._sets_quizzes():
            return QuizDetailSerializer
        return QuizSerializer

    @extend_schema(parameters=[MINE], responses={200: QuizSerializer(many=True),
                                                 **_errors(403)})
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(responses={200: OpenApiResponse(QuizDetailSerializer, description=gettext_lazy(
        "The questions only for people who set quizzes; takers get the quiz without them.")),
        **_errors(403, 404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=None, responses={201: AttemptSerializer, **_errors(400, 403, 404)},
                   summary="Start or resume my attempt")
    @action(detail=True, methods=["post"], url_path="attempts")
    def attempts(self, request, pk=None):
        quiz_id = int(pk)
        if not Quiz.objects.filter(pk=quiz_id).exists():
            raise NotFound()
        attempt = services.attempt_start(actor=request.user, quiz_id=quiz_id)
        return Response(AttemptSerializer(selectors.attempt_get(attempt.pk)).data,
                        status=status.HTTP_201_CREATED)


@extend_schema(tags=["education"])
class AttemptViewSet(mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    permission_classes = [IsAuthenticated]
    serializer_class = AttemptSerializer
    lookup_value_converter = "int"

    def get_object(self):
        attempt = selectors.attempt_get(int(self.kwargs["pk"]))
        if attempt is None or attempt.user_id != self.request.user.pk:
            raise NotFound()
        return attempt

    @extend_schema(responses={200: AttemptSerializer, **_errors(404)})
    def retrieve(self, request, *args, **kwargs):
        return super().retrieve(request, *args, **kwargs)

    @extend_schema(request=QuizSubmitInput, responses={200: AttemptSerializer,
                                                   **_errors(400, 403, 404)},
                   summary="Submit my answers")
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        attempt = self.get_object()
        data = QuizSubmitInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.attempt_submit(actor=request.user, attempt_id=attempt.pk,
                                answers=data.validated_data["answers"])
        return Response(AttemptSerializer(selectors.attempt_get(attempt.pk)).data)


routes = [
    ("v1/education/quizzes/attempts", AttemptViewSet, "education-quiz-attempt"),
    ("v1/education/quizzes", QuizViewSet, "education-quiz"),
]
