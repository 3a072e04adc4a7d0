"""Platform profiles: which export columns are which canonical fields of VideoMetrics.

A profile is an editable YAML file (`rules/profiles/*.yaml` shipped; `profiles/` in a user
rule folder). The `generic` profile (rules/profiles/generic.yaml) holds aliases recognised
whatever profile is detected; the canonical English names (id, title, views, ...) are always
recognised too, in code, so no profile file can lose them. Lookup order for a column:
the detected profile's `columns`, then its `ignore`, then generic's, then canonical names.

Header matching ignores a BOM, surrounding and inner whitespace, full-width vs half-width
forms (（秒） = (秒)) and the case of English letters.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Callable, Iterable, Literal, Optional

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, ValidationError, field_validator, model_validator

from advisor.core.cache import fingerprint
from advisor.core.errors import AdvisorError, Problem, did_you_mean
from advisor.core.i18n import T
from advisor.model.metrics import DERIVED, FIELDS, FORMS, VideoMetrics
from advisor.core.paths import shipped_rules
from advisor.input.values import PARSERS, ValueProblem, parse_choice, parse_id
from advisor.input.yamlio import load_yaml, problems_from_validation_error

GENERIC = "generic"
# The fields an import can fill: VideoMetrics' own fields (derived rates are computed).
CANONICAL: tuple[str, ...] = tuple(VideoMetrics.model_fields)


def norm_header(name: str) -> str:
    """The form in which header names are compared (see the module docstring)."""
    text = unicodedata.normalize("NFKC", str(name).replace("\ufeff", ""))
    return "".join(text.split()).casefold()


def _check_field(name: str) -> str:
    """A canonical field name, or an error with a did-you-mean (located at the entry)."""
    if name in CANONICAL:
        return name
    hint = did_you_mean(name, CANONICAL)
    listed = ", ".join(CANONICAL)
    raise ValueError(T(
        zh=f"'{name}' 不是字段名" + (f"({hint.zh})" if hint else f"(可用:{listed})"),
        en=f"'{name}' is not a field" + (f" ({hint.en})" if hint else f" (known: {listed})")))


FieldName = Annotated[str, AfterValidator(_check_field)]


Audience = Literal["creator", "friends", "public"]
Spread = Literal["none", "friends", "feed"]
SecondaryAsk = Literal["save", "follow"]
LiveAsk = Literal["follow", "fan_club", "reserve", "heart", "like"]


class Button(BaseModel):
    """One interaction button as the platform's app has it: what it is called, who sees it, what it does."""

    # defer_build (here and in Mechanics): Profile validates its buttons with its own validator;
    # these are built only if a Button or Mechanics is validated alone.
    model_config = ConfigDict(extra="forbid", defer_build=True)

    icon: str = Field(min_length=1, max_length=4, description="The icon as scripts write it: 👍, ♡, ❤.")
    name: T = Field(description="What viewers call the button in the app (点赞, 小红心, ...).")
    export_name: Optional[str] = Field(None, description="The export's column for its count, when it differs (视频号: 推荐 for ♡).")
    seen_by: Audience = Field(description=(
        "Who sees that a viewer tapped it: creator (private, e.g. the 视频号 👍), friends (the viewer's "
        "WeChat friends, e.g. the 视频号 ♡), or public (anyone)."))
    spreads: Spread = Field(description=(
        "What a tap does for distribution: none (a private signal; a script must not promise reach), "
        "friends (shows the video to the viewer's friends), feed (feeds the platform's recommendations)."))
    meaning: Optional[T] = Field(None, description="What a tap says, in the CTA's words (for people editing templates).")


class Mechanics(BaseModel):
    """What the platform's buttons really do; `advisor cta` words each track from this."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    like: Optional[Button] = Field(None, description="The like button (👍 on 视频号, ❤ 点赞 on Douyin); null: none.")
    heart: Optional[Button] = Field(None, description="The heart button (♡ on 视频号); null: the platform has none.")
    secondary: list[SecondaryAsk] = Field(default_factory=list, description=(
        "Asks that take the second track when there is no heart: save (收藏) and/or follow (关注); "
        "the CTA picks save for exposure and follow for the other goals."))
    live: list[LiveAsk] = Field(default_factory=lambda: ["follow", "reserve", "heart"], description=(
        "What a live stream can ask for: follow (关注), fan_club (点亮粉丝团), reserve (预约下一场), "
        "heart or like (the button during the stream)."))


class Profile(BaseModel):
    """One platform export's columns. Validated from YAML; the schema comes from this model."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Short name used by --profile.")
    name: T = Field(description="The platform and export, for people.")
    description: Optional[T] = Field(None, description="Where in the platform the export comes from.")
    detect: list[str] = Field(default_factory=list, description=(
        "Header columns that identify this export; the profile with most of them present wins "
        "(at least 2, or all when fewer are listed)."))
    columns: dict[str, FieldName] = Field(default_factory=dict, description="Column name -> canonical field.")
    ignore: dict[str, T] = Field(default_factory=dict, description="Known columns deliberately not used -> why.")
    values: dict[FieldName, dict[str, str]] = Field(default_factory=dict, description=(
        "Per canonical field, exported value -> canonical value (e.g. form: {图文: image_text})."))
    defaults: dict[FieldName, Any] = Field(default_factory=dict, description="Field values for rows that lack them.")
    id_from: list[FieldName] = Field(default_factory=list, description=(
        "When the export has no id column: canonical fields whose cells, joined by a space, make the id."))
    notes: Optional[T] = Field(None, description="What to know about this export.")
    mechanics: Optional[Mechanics] = Field(None, description=(
        "The platform's buttons: which exist, who sees a tap, what it is called in the app. "
        "`advisor cta --profile` words the calls to action from it; without it, the generic framing is used."))

    _source: Optional[str] = PrivateAttr(None)

    @property
    def source(self) -> str | None:
        """The file this profile was loaded from, if any."""
        return self._source

    @field_validator("id_from", "defaults")
    @classmethod
    def _not_id(cls, value):
        if "id" in value:
            raise ValueError(T(zh="id 不能出现在这里", en="id cannot be used here"))
        return value

    @field_validator("values")
    @classmethod
    def _value_maps(cls, values: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for name, mapping in values.items():
            if FIELDS[name].kind == "enum":
                for target in mapping.values():
                    if target not in FORMS:
                        raise ValueError(T(zh=f"'{target}' 不是可用的取值({', '.join(FORMS)})",
                                           en=f"'{target}' is not an allowed value ({', '.join(FORMS)})"))
        return values

    @field_validator("defaults")
    @classmethod
    def _defaults_parse(cls, defaults: dict[str, Any]) -> dict[str, Any]:
        out = {}
        for name, value in defaults.items():
            try:
                out[name] = parse_value(name, value)
            except ValueProblem as exc:
                raise ValueError(exc.message) from None
        return out

    @model_validator(mode="after")
    def _no_column_both_used_and_ignored(self) -> "Profile":
        both = {norm_header(c) for c in self.columns} & {norm_header(c) for c in self.ignore}
        if both:
            names = ", ".join(sorted(both))
            raise ValueError(T(zh=f"这些列既在 columns 又在 ignore 中:{names}",
                               en=f"these columns are both in columns and ignore: {names}"))
        return self


def parse_value(name: str, value: object, aliases: dict[str, str] | None = None) -> object:
    """A canonical field's value from a cell, by the field's kind; raises ValueProblem."""
    return value_parser(name, aliases)(value)


def value_parser(name: str, aliases: dict[str, str] | None = None) -> Callable[[object], object]:
    """The parser for one field (with a profile's value map), built once per column."""
    kind = FIELDS[name].kind
    if kind == "enum":
        return lambda value: parse_choice(value, FORMS, aliases)
    base = parse_id if name == "id" else PARSERS.get(kind, PARSERS["text"])
    if not aliases:
        return base
    table = {norm_header(k): v for k, v in aliases.items()}

    def parse(value: object) -> object:
        if isinstance(value, str):
            value = table.get(norm_header(value), value)
        return base(value)

    return parse


# --- loading --------------------------------------------------------------------------------


def shipped_profile_dirs() -> list[Path]:
    return [shipped_rules() / "profiles"]


# Profiles read in this process, by file and content: a review reads the same folders up to three
# times (import, CTA, settings); each file is parsed and validated once. Nothing mutates a Profile.
_READ: dict[tuple[str, str], Profile] = {}
_READ_MAX = 512


def load_profile(path: Path) -> Profile:
    """One profile file, validated. Raises AdvisorError with located problems."""
    try:
        key = (str(path), fingerprint(Path(path).read_bytes()))
    except OSError:
        key = None  # load_yaml reports it
    if key is not None and key in _READ:
        return _READ[key]
    profile = _load_profile(path)
    if key is not None:
        if len(_READ) >= _READ_MAX:
            _READ.clear()
        _READ[key] = profile
    return profile


def _load_profile(path: Path) -> Profile:
    data, locator = load_yaml(Path(path))
    file = str(path)
    if not isinstance(data, dict):
        raise AdvisorError([Problem(file=file, line=1, col=1, message=T(
            zh="档案文件应为键值映射(id:、name:、columns: …)",
            en="a profile file must be a mapping (id:, name:, columns: ...)"))])
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        raise AdvisorError(problems_from_validation_error(exc, locator, file, model=Profile)) from None
    profile._source = file
    return profile


def load_profiles(dirs: Iterable[Path] | None = None) -> dict[str, Profile]:
    """All profiles in `dirs` (default: the shipped ones), keyed by id.

    Later folders override earlier ones by id, so list shipped folders first. A folder that
    does not exist is skipped (a user rule folder need not have profiles/). Problems in any
    file are collected and raised together.
    """
    profiles: dict[str, Profile] = {}
    problems: list[Problem] = []
    for folder in shipped_profile_dirs() if dirs is None else dirs:
        folder = Path(folder)
        if not folder.is_dir():
            continue
        seen_here: dict[str, str] = {}
        for path in sorted([*folder.glob("*.yaml"), *folder.glob("*.yml")]):
            try:
                profile = load_profile(path)
            except AdvisorError as exc:
                problems.extend(exc.problems)
                continue
            if profile.id in seen_here:
                problems.append(Problem(file=str(path), message=T(
                    zh=f"档案 id '{profile.id}' 与同一文件夹的 {seen_here[profile.id]} 重复",
                    en=f"profile id '{profile.id}' is also used by {seen_here[profile.id]} in the same folder")))
                continue
            seen_here[profile.id] = str(path)
            profiles[profile.id] = profile
    if problems:
        raise AdvisorError(problems)
    return profiles


def generic_profile(profiles: dict[str, Profile]) -> Profile:
    """The generic aliases profile; an empty one if no folder provides it."""
    return profiles.get(GENERIC) or Profile(id=GENERIC, name=T(zh="通用", en="generic"))


def export_header(profile: Profile, name: str) -> str | None:
    """The column of `profile` that holds canonical field `name`, as the export writes it; None if none."""
    return next((column for column, field_name in profile.columns.items() if field_name == name), None)


def resolve_profile(name_or_path: str | Path, profiles: dict[str, Profile]) -> Profile:
    """`--profile NAME|FILE`: a loaded profile by id, else a profile file. Raises AdvisorError."""
    text = str(name_or_path)
    if text in profiles:
        return profiles[text]
    for pid, profile in profiles.items():
        if pid.casefold() == text.casefold().replace("-", "_"):
            return profile
    path = Path(text)
    if path.suffix.lower() in (".yaml", ".yml") or path.is_file():
        return load_profile(path)
    hint = did_you_mean(text, profiles)
    known = ", ".join(sorted(profiles))
    raise AdvisorError([Problem(message=T(
        zh=f"没有名为 '{text}' 的档案" + (f"({hint.zh})" if hint else "") + f";可用:{known}",
        en=f"no profile named '{text}'" + (f" ({hint.en})" if hint else "") + f"; known: {known}"))])


def detect_profile(header: Iterable[str], profiles: dict[str, Profile]) -> Profile:
    """The profile whose `detect` columns are most present in `header`; generic when none fits.

    A profile qualifies with at least 2 of its detect columns present (all of them when it
    lists fewer than 2). Ties go to the larger share of its detect list, then to the id.
    """
    present = {norm_header(h) for h in header}
    best: tuple | None = None
    for profile in profiles.values():
        if not profile.detect or profile.id == GENERIC:
            continue
        hits = sum(1 for c in profile.detect if norm_header(c) in present)
        if hits < min(2, len(profile.detect)):
            continue
        key = (hits, hits / len(profile.detect), _reverse(profile.id))
        if best is None or key > best[0]:
            best = (key, profile)
    return best[1] if best else generic_profile(profiles)


def _reverse(text: str) -> tuple:
    return tuple(-ord(c) for c in text)  # so that max() prefers the alphabetically first id


# --- mapping a header -------------------------------------------------------------------------

DERIVED_REASON = T(zh="由其他字段计算得出,导入时不读取", en="derived from other fields; recomputed, not read")


@dataclass
class HeaderMap:
    """How one header maps: which column index is which field, and what is left out."""

    profile: Profile
    fields: dict[int, str] = field(default_factory=dict)  # column index -> canonical field
    columns: dict[str, str] = field(default_factory=dict)  # canonical field -> column as written
    unused: dict[str, T] = field(default_factory=dict)  # known column deliberately unused -> why
    unknown: list[str] = field(default_factory=list)  # columns no profile knows
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> exported -> canonical
    defaults: dict[str, Any] = field(default_factory=dict)
    id_from: list[str] = field(default_factory=list)
    alternates: dict[int, list[int]] = field(default_factory=dict)  # used column -> same-field columns


def map_header(header: list[str], profile: Profile, generic: Profile | None = None) -> HeaderMap:
    """Resolve every header cell against `profile`, then `generic`, then the canonical names.

    When two columns name the same field, the profile's own column wins over a generic alias,
    then the leftmost; the other one is listed as unused, saying which column was used.
    """
    generic = generic or Profile(id=GENERIC, name=T(zh="通用", en="generic"))
    layers = [profile] if profile.id == generic.id else [profile, generic]
    result = HeaderMap(profile=profile)
    for layer in reversed(layers):  # the profile's value maps and defaults override generic's
        for name, mapping in layer.values.items():
            result.values.setdefault(name, {}).update(mapping)
        result.defaults.update(layer.defaults)
        result.id_from = layer.id_from or result.id_from

    lookups = []
    for layer in layers:
        lookups.append(({norm_header(k): v for k, v in layer.columns.items()},
                        {norm_header(k): v for k, v in layer.ignore.items()}))
    lookups.append(({norm_header(n): n for n in CANONICAL}, {norm_header(n): DERIVED_REASON for n in DERIVED}))

    pending: list[tuple[int, int, str, str]] = []  # (layer rank, index, column, field)
    for index, column in enumerate(header):
        key = norm_header(column)
        if not key:
            continue  # an unnamed column (a trailing delimiter); its cells are checked by the importer
        for rank, (columns, ignore) in enumerate(lookups):
            if key in columns:
                pending.append((rank, index, column, columns[key]))
                break
            if key in ignore:
                result.unused[column] = ignore[key]
                break
        else:
            result.unknown.append(column)
    for _rank, index, column, name in sorted(pending):
        if name in result.columns:
            used = result.columns[name]
            result.alternates.setdefault(header.index(used), []).append(index)
            result.unused[column] = T(zh=f"与列「{used}」同为 {name},已使用「{used}」",
                                      en=f"maps to {name} like column '{used}', which is used")
            continue
        result.fields[index] = name
        result.columns[name] = column
    result.fields = dict(sorted(result.fields.items()))
    return result
