"""Organisations, recruiters, candidates, jobs and applications.

Every row that holds a person's data belongs to one organisation, and is reached through
it: `Candidate.objects.of(org)`, never `Candidate.objects.all()` in a service or a view.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.db import models, transaction
from django.db.models import F
from django.db.models.functions import Lower

from relance.engine import Channel, Policy, Purpose, Stage
from relance.people import search


class Organisation(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    language = models.CharField(max_length=2, default="fr", choices=[("fr", "fr"), ("en", "en")])
    timezone = models.CharField(max_length=64, default="Europe/Paris")
    country = models.CharField(max_length=2, default="FR")
    # Overrides of the default policy, checked against the hard caps when saved or read.
    policy = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # What the information notice of a first contact names (GDPR art. 13/14): the legal
    # entity, its address, where to exercise one's rights, its website.
    legal_name = models.CharField(max_length=200, blank=True)
    address = models.TextField(blank=True)
    privacy_email = models.EmailField(blank=True)
    website = models.URLField(blank=True)

    def __str__(self) -> str:
        return self.name

    def get_policy(self) -> Policy:
        return Policy.from_mapping(self.policy, where=f"organisation {self.slug}: policy")


class OrgQuerySet(models.QuerySet[Any]):
    def of(self, organisation: Organisation) -> OrgQuerySet:
        return self.filter(organisation=organisation)


class RecruiterManager(BaseUserManager["Recruiter"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: Any) -> Recruiter:
        if not email:
            raise ValueError("a recruiter needs an e-mail address")
        user = self.model(email=self.normalize_email(email), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> Recruiter:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("role", Recruiter.Role.ADMIN)
        return self.create_user(email, password, **extra)


class Recruiter(AbstractUser):
    """A user of an organisation; sends under their own name and address."""

    class Role(models.TextChoices):
        ADMIN = "admin"
        RECRUITER = "recruiter"

    username = None  # type: ignore[assignment]
    email = models.EmailField(unique=True)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="recruiters"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.RECRUITER)
    phone = models.CharField(max_length=32, blank=True)
    signature = models.TextField(blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = RecruiterManager()  # type: ignore[misc]

    def __str__(self) -> str:
        return self.get_full_name() or self.email


class Seniority(models.TextChoices):
    JUNIOR = "junior"
    INTERMEDIATE = "intermediate"
    SENIOR = "senior"
    LEAD = "lead"
    EXECUTIVE = "executive"


class Source(models.TextChoices):
    LINKEDIN = "linkedin"
    EMAIL = "email"
    CV_DATABASE = "cv_database"
    APPLICATION = "application"
    REFERRAL = "referral"
    EVENT = "event"


CHANNEL_CHOICES = [(c.value, c.value) for c in Channel]
STAGE_CHOICES = [(s.value, s.value) for s in Stage]
PURPOSE_CHOICES = [(p.value, p.value) for p in Purpose]

# What the search key is made of (people/search.py).
NAME_FIELDS = frozenset({"first_name", "last_name", "email"})


def company_key(company: str) -> str:
    """A company folded (case, accents, spaces): "Société  Générale" is "societe generale"."""
    return search.fold(company)[:300]


class CandidateQuerySet(OrgQuerySet):
    """Bulk writes keep the search key right, like `Candidate.save`: whatever the door
    (retention, erasure, an import), a name or e-mail written without its key is a bug."""

    def update(self, **kwargs: Any) -> int:
        if "company" in kwargs and "company_key" not in kwargs:
            kwargs["company_key"] = company_key(kwargs["company"])
        named = NAME_FIELDS & set(kwargs)
        if not named or "search_key" in kwargs:
            return super().update(**kwargs)
        values = [kwargs.get(f) for f in ("first_name", "last_name", "email")]
        if named == NAME_FIELDS and all(isinstance(v, str) for v in values):
            # Every row gets the same names (anonymisation: all blank): one key for all.
            return super().update(**kwargs, search_key=search.key(*values))  # type: ignore[arg-type]
        # Some rows keep a part of their names: each key is written again after.
        with transaction.atomic():
            ids = list(self.values_list("pk", flat=True))
            changed = super().update(**kwargs)
            rows = list(self.model.objects.filter(pk__in=ids).only("pk", *NAME_FIELDS))
            for row in rows:
                row.search_key = search.key(row.first_name, row.last_name, row.email)
            self.model.objects.bulk_update(rows, ["search_key"], batch_size=500)
        return changed

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        for obj in objs:
            obj.search_key = search.key(obj.first_name, obj.last_name, obj.email)
            obj.company_key = company_key(obj.company)
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Any, fields: Any, *args: Any, **kwargs: Any) -> Any:
        objs, fields = list(objs), list(fields)
        if NAME_FIELDS & set(fields):
            for obj in objs:
                obj.search_key = search.key(obj.first_name, obj.last_name, obj.email)
            if "search_key" not in fields:
                fields.append("search_key")
        if "company" in fields:
            for obj in objs:
                obj.company_key = company_key(obj.company)
            if "company_key" not in fields:
                fields.append("company_key")
        return super().bulk_update(objs, fields, *args, **kwargs)


class Candidate(models.Model):
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    # The identifier this person has elsewhere (a scenario id, an import's key).
    external_ref = models.CharField(max_length=100, blank=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=32, blank=True)
    linkedin_url = models.URLField(blank=True)
    language = models.CharField(max_length=2, default="fr", choices=[("fr", "fr"), ("en", "en")])
    timezone = models.CharField(max_length=64, default="Europe/Paris")
    country = models.CharField(max_length=2, default="FR")
    location = models.CharField(max_length=120, blank=True)  # a city, a region
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.LINKEDIN)
    stars = models.PositiveSmallIntegerField(default=0)
    tags = models.JSONField(default=list, blank=True)
    skills = models.JSONField(default=list, blank=True)
    years_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    seniority = models.CharField(max_length=16, choices=Seniority.choices, blank=True)
    desired_role = models.CharField(max_length=200, blank=True)
    # The current employer, as typed or imported (LinkedIn's "Company").
    company = models.CharField(max_length=200, blank=True)
    interests = models.JSONField(default=list, blank=True)
    # A line about them that a follow-up can pick up: "your talk on Kotlin at Devoxx".
    hook = models.CharField(max_length=300, blank=True)
    preferred_channel = models.CharField(max_length=16, choices=CHANNEL_CHOICES, blank=True)
    owner = models.ForeignKey(
        Recruiter, null=True, blank=True, on_delete=models.SET_NULL, related_name="candidates"
    )
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    do_not_contact_at = models.DateTimeField(null=True, blank=True)
    email_bounced_at = models.DateTimeField(null=True, blank=True)
    last_contact_at = models.DateTimeField(null=True, blank=True)
    # Anonymised by the retention rules: what statistics need is kept, nothing that leads
    # back to the person.
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    # Last name, first name and e-mail, folded (people/search.py): what the list's search
    # reads. Written by save() and by every bulk write of a name (CandidateQuerySet).
    search_key = models.CharField(max_length=500, blank=True, default="", editable=False)
    # The company folded the same way (case, accents, spaces): what a possible duplicate's
    # "same company" compares (people/duplicates.py). Written with `company`, whatever the
    # door, like the search key.
    company_key = models.CharField(max_length=300, blank=True, default="", editable=False)

    objects = CandidateQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "external_ref"]),
            # A search word is the start of the key (or of a word in it). On PostgreSQL,
            # LIKE 'word%' reads a B-tree only with a pattern operator class (or the C
            # collation); SQLite ignores operator classes.
            models.Index(
                fields=["organisation", "search_key"],
                name="candidate_search_key",
                opclasses=["int8_ops", "varchar_pattern_ops"],
            ),
            # The list's orders, each read in index order from a keyset cursor (the id
            # breaks ties): by name (the folded key, in the database's own collation: the
            # pattern index above cannot sort), by stars, by last contact.
            models.Index(fields=["organisation", "search_key", "id"], name="candidate_org_name"),
            models.Index(fields=["organisation", "stars", "id"], name="candidate_org_stars"),
            models.Index(
                fields=["organisation", "last_contact_at", "id"], name="candidate_org_contact"
            ),
            # A duplicate e-mail is looked up whatever its case.
            models.Index(F("organisation"), Lower("email"), name="candidate_org_email"),
            # The same person by phone or profile (people/identity.py, an import's batch;
            # people/duplicates.py groups on them).
            models.Index(fields=["organisation", "phone"], name="candidate_org_phone"),
            models.Index(fields=["organisation", "linkedin_url"], name="candidate_org_linkedin"),
            # Possible duplicates are read one role in one place at a time, in this order
            # (people/duplicates.py): read from the index, never sorted at a million. Not
            # partial: a partial index with no rows yet has no SQLite statistics, and
            # relance/dbstats.py would then analyse the table again every hour.
            models.Index(
                F("organisation"),
                Lower("desired_role"),
                Lower("location"),
                F("id"),
                name="candidate_org_role_place",
            ),
            # Possible duplicates at the same company are read one company at a time, in
            # this order (people/duplicates.py); not partial, for the reason above.
            models.Index(
                fields=["organisation", "company_key", "id"], name="candidate_org_company"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(stars__lte=3), name="candidate_stars_0_3")
        ]

    def __str__(self) -> str:
        return self.full_name

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_key = search.key(self.first_name, self.last_name, self.email)
        self.company_key = company_key(self.company)
        fields = kwargs.get("update_fields")
        if fields is not None and NAME_FIELDS & set(fields):
            kwargs["update_fields"] = fields = {*fields, "search_key"}
        if fields is not None and "company" in fields:
            kwargs["update_fields"] = {*fields, "company_key"}
        super().save(*args, **kwargs)

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()


class Consent(models.Model):
    """A consent for one purpose: when, how, the exact text shown, and its withdrawal."""

    class Method(models.TextChoices):
        FORM = "form"
        LINK = "link"
        CALL = "call"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(max_length=16, choices=PURPOSE_CHOICES)
    given_at = models.DateTimeField()
    method = models.CharField(max_length=8, choices=Method.choices, default=Method.FORM)
    text = models.TextField(blank=True)
    # Which version of the wording was shown, in which language (pools/consent.py).
    version = models.CharField(max_length=32, blank=True)
    language = models.CharField(max_length=2, blank=True)
    recorded_by = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["candidate", "purpose"])]


class Job(models.Model):
    class Status(models.TextChoices):
        OPEN = "open"
        CLOSED = "closed"

    class Contract(models.TextChoices):
        PERMANENT = "permanent"  # CDI
        FIXED_TERM = "fixed_term"  # CDD
        FREELANCE = "freelance"
        INTERNSHIP = "internship"
        APPRENTICESHIP = "apprenticeship"
        OTHER = "other"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    external_ref = models.CharField(max_length=100, blank=True)
    title = models.CharField(max_length=200)
    family = models.CharField(max_length=120, blank=True)  # e.g. "Développement back-end"
    description = models.TextField(blank=True)
    client = models.CharField(max_length=200, blank=True)  # an agency recruits for clients
    location = models.CharField(max_length=120, blank=True)
    contract = models.CharField(max_length=16, choices=Contract.choices, blank=True)
    owner = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = OrgQuerySet.as_manager()

    def __str__(self) -> str:
        return self.title


class Application(models.Model):
    """A candidate on a job, with a stage."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    candidate = models.ForeignKey(Candidate, on_delete=models.CASCADE, related_name="applications")
    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="applications")
    stage = models.CharField(max_length=16, choices=STAGE_CHOICES, default=Stage.SOURCED.value)
    stage_changed_at = models.DateTimeField()
    applied_at = models.DateTimeField(null=True, blank=True)
    last_interview_at = models.DateTimeField(null=True, blank=True)
    # The furthest stage reached before an end (rejected, withdrawn): a rejection after
    # an interview is personal, an early one is not.
    furthest_stage = models.CharField(
        max_length=16, choices=STAGE_CHOICES, default=Stage.SOURCED.value
    )

    objects = OrgQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["candidate", "job"], name="one_application_per_job")
        ]
        indexes = [
            # A job's pipeline: the count per stage, and the latest moves of one stage (a
            # column's first cards, then "show more" after the last one shown).
            models.Index(
                fields=["job", "stage", "stage_changed_at", "id"], name="application_pipeline"
            ),
        ]

    @property
    def is_active(self) -> bool:
        return self.stage not in (Stage.REJECTED, Stage.WITHDRAWN, Stage.HIRED)

    def goes_back_to(self, stage: str) -> bool:
        """Whether moving to `stage` undoes progress: an ended application reopened (or its
        end changed), or an earlier stage of the process. Worth a confirmation: one click
        must not move a rejected finalist back to "sourced"."""
        if stage == self.stage:
            return False
        if not self.is_active:
            return True
        if stage in (Stage.REJECTED, Stage.WITHDRAWN):
            return False
        return Stage(stage).rank < Stage(self.stage).rank


class Interview(models.Model):
    """An interview planned for an application: when, with whom, where (a place or a video
    link). Recording that it took place is an `interview` event (the feedback deadline
    starts then)."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled"
        DONE = "done"
        CANCELLED = "cancelled"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="interviews"
    )
    at = models.DateTimeField()
    minutes = models.PositiveSmallIntegerField(default=60)
    interviewer = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    place = models.CharField(max_length=300, blank=True)
    video_url = models.URLField(blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    created_at = models.DateTimeField()

    objects = OrgQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "at"]),
            # A job's interviews still to confirm (the pipeline page): the scheduled ones
            # whose time has come, found without walking the job's applications.
            models.Index(fields=["organisation", "status", "at"], name="interview_org_status_at"),
        ]


class ErasedPerson(models.Model):
    """What survives a person's erasure: keyed digests of their address, phone and
    profile, so that they are never approached again by mistake. No way back to them."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    key = models.CharField(max_length=64)
    erased_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organisation", "key"], name="erased_key_once")
        ]


class AuditEntry(models.Model):
    """Who viewed, exported, changed or erased a person's data, and when; and who changed
    the team (set up the organisation, invited, changed a role, deactivated or reactivated
    a recruiter). It holds the candidate's id, never their name: an erased person leaves
    only a number behind."""

    class Action(models.TextChoices):
        VIEWED = "viewed"
        EXPORTED = "exported"
        CHANGED = "changed"
        ERASED = "erased"
        # Team changes: about a recruiter (`recruiter`), not a candidate.
        SETUP = "setup"
        INVITED = "invited"
        JOINED = "joined"
        ROLE_CHANGED = "role_changed"
        DEACTIVATED = "deactivated"
        REACTIVATED = "reactivated"
        # Job changes: about a job (`job`), not a person.
        JOB_CREATED = "job_created"
        JOB_CHANGED = "job_changed"
        JOB_CLOSED = "job_closed"
        JOB_REOPENED = "job_reopened"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE)
    at = models.DateTimeField()
    actor = models.ForeignKey(Recruiter, null=True, blank=True, on_delete=models.SET_NULL)
    action = models.CharField(max_length=16, choices=Action.choices)
    # Not a foreign key: it outlives the person. Empty for a team change.
    candidate_id = models.BigIntegerField(null=True, blank=True)
    # The colleague a team change is about.
    recruiter = models.ForeignKey(
        Recruiter, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The job a job change is about (its history on the job's page).
    job = models.ForeignKey(Job, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["organisation", "candidate_id", "at"]),
            # The audit log page: newest first, a page after the last (at, id) shown.
            models.Index(fields=["organisation", "at", "id"], name="audit_org_at"),
        ]


class SetupToken(models.Model):
    """The one-time token `relance web` prints in its console while no organisation
    exists: only someone who has the console can open the first-run page. Only its
    SHA-256 digest is stored; it expires, and is used once."""

    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
