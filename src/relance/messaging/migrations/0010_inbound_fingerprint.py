"""Inbound messages are told apart by their fingerprint (a digest of the bytes without the
trace fields each delivery adds), no longer by their Message-ID: two different messages
sharing one are both kept. The Message-ID moves to its own column; the key of every message
already kept becomes its fingerprint, so that a message received before this change is
still recognised when it comes again."""

import hashlib
import re

from django.db import migrations, models

# A frozen copy of relance.messaging.inbound.fingerprint as of this migration (a migration
# must not change meaning when the code does).
_TRACE_FIELDS = re.compile(
    rb"(?im)^(?:received|return-path|delivered-to|x-original-to|envelope-to|x-envelope-[\w-]*|"
    rb"authentication-results|arc-[\w-]*|received-spf|x-spam-[\w-]*|x-virus-[\w-]*|"
    rb"x-uid|status|x-status|x-keywords|content-length|lines|x-gm-[\w-]*):"
    rb"[^\n]*\n(?:[ \t][^\n]*\n)*"
)


def _fingerprint(raw):
    data = raw.replace(b"\r\n", b"\n")
    if data.startswith(b"From "):
        data = data.partition(b"\n")[2]
    end = data.find(b"\n\n")
    head, body = (data, b"") if end < 0 else (data[: end + 1], data[end + 1 :])
    return "sha256:" + hashlib.sha256(_TRACE_FIELDS.sub(b"", head) + body).hexdigest()


def forwards(apps, schema_editor):
    InboundMessage = apps.get_model("messaging", "InboundMessage")
    taken = set()
    rows = InboundMessage.objects.order_by("pk").only("pk", "organisation_id", "key", "raw")
    for row in rows.iterator(chunk_size=200):
        message_id = "" if row.key.startswith("sha256:") else row.key
        key = _fingerprint(bytes(row.raw))
        if (row.organisation_id, key) in taken:
            # Kept twice under two Message-IDs with the same content: both stay.
            key = f"{key}:{row.pk}"
        taken.add((row.organisation_id, key))
        InboundMessage.objects.filter(pk=row.pk).update(key=key, message_id=message_id)


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0009_outbox_campaign"),
    ]

    operations = [
        migrations.AddField(
            model_name="inboundmessage",
            name="message_id",
            field=models.CharField(blank=True, max_length=300),
        ),
        # Back: the keys stay fingerprints (unique, where Message-IDs may not be).
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
