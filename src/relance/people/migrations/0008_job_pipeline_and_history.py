# A job's pipeline read from an index (the count per stage, a column's latest moves), and
# the audit log's job changes (created, changed, closed, reopened).

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('people', '0007_team_audit_setup_token'),
    ]

    operations = [
        migrations.AddField(
            model_name='auditentry',
            name='job',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='people.job'),
        ),
        migrations.AlterField(
            model_name='auditentry',
            name='action',
            field=models.CharField(choices=[('viewed', 'Viewed'), ('exported', 'Exported'), ('changed', 'Changed'), ('erased', 'Erased'), ('setup', 'Setup'), ('invited', 'Invited'), ('joined', 'Joined'), ('role_changed', 'Role Changed'), ('deactivated', 'Deactivated'), ('reactivated', 'Reactivated'), ('job_created', 'Job Created'), ('job_changed', 'Job Changed'), ('job_closed', 'Job Closed'), ('job_reopened', 'Job Reopened')], max_length=16),
        ),
        migrations.AddIndex(
            model_name='application',
            index=models.Index(fields=['job', 'stage', 'stage_changed_at', 'id'], name='application_pipeline'),
        ),
    ]
