"""Scheduled jobs of the quizzes area."""
