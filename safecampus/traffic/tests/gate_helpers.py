"""Builders for the gate-record tests: gates, camera CSV files, and records written
directly (for detection and statistics tests that need exact times)."""

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile

from safecampus.core import clock
from safecampus.traffic.models import Gate, GateImport, GateRecord
from safecampus.traffic.services import gates as services

HEADER = "车牌号码,通道,方向,通行时间,车辆类型,车牌颜色"


def local(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=clock.local_zone())


def gate(org, code="N1", name="北门", campus=None) -> Gate:
    return services.gate_create(actor=org.users.staff, campus_id=(campus or org.campus1).pk,
                                name=name, code=code)


def camera_file(lines, *, header=HEADER, encoding="utf-8", name="gate.csv",
                bom=False) -> SimpleUploadedFile:
    text = "\r\n".join([header, *lines]) + "\r\n"
    data = text.encode(encoding)
    if bom:
        data = b"\xef\xbb\xbf" + data
    return SimpleUploadedFile(name, data, content_type="text/csv")


def upload(org, upload_file, capture, *, actor=None) -> GateImport:
    """Upload through the service; the huey task (immediate in tests) runs the job when the
    upload commits, so the on-commit callbacks are captured and executed here."""
    with capture(execute=True):
        job = services.gate_import_upload(actor=actor or org.users.staff,
                                          uploaded_file=upload_file)
    job.refresh_from_db()
    return job


def run(org, upload_file, *, actor=None) -> GateImport:
    job = services.gate_import_upload(actor=actor or org.users.staff, uploaded_file=upload_file)
    return services.gate_import_run(import_id=job.pk)


def batch(org) -> GateImport:
    return GateImport.objects.create(created_by=org.users.staff, original_name="direct.csv",
                                     digest="x" * 64, state=GateImport.State.IMPORTED)


def passes(gate_obj, job, *rows) -> None:
    """``rows``: ``(plate, "in"|"out", aware datetime)``."""
    GateRecord.objects.bulk_create([
        GateRecord(gate=gate_obj, plate=plate, direction=direction, passed_at=at, batch=job)
        for plate, direction, at in rows])
