import pytest

from plexus_datasets.errors import ValidationError
from plexus_datasets.refs import Ref, VersionSpec, parse_ref, parse_version, with_version


@pytest.mark.parametrize(
    ("text", "dataset", "version"),
    [
        ("calls", "calls", VersionSpec("current")),
        ("calls:current", "calls", VersionSpec("current")),
        (" calls : Latest ", "calls", VersionSpec("latest")),
        ("calls:3", "calls", VersionSpec("number", 3)),
        ("calls:v12", "calls", VersionSpec("number", 12)),
        ("calls:V2", "calls", VersionSpec("number", 2)),
        ("calls:4f0c-id", "calls", VersionSpec("id", "4f0c-id")),
        ("a:b:latest", "a:b", VersionSpec("latest")),
        ("qa/calls:v1", "qa/calls", VersionSpec("number", 1)),
    ],
)
def test_parse_ref(text, dataset, version):
    assert parse_ref(text) == Ref(dataset, version)


def test_scoped_and_str():
    assert parse_ref("qa/calls:v1").scoped() == ("qa", "calls")
    assert parse_ref("calls").scoped() is None
    assert str(parse_ref("calls:2")) == "calls:v2"


@pytest.mark.parametrize("bad", ["", "   ", ":v1", "calls:", "calls:v0", "calls:0"])
def test_bad_refs(bad):
    with pytest.raises(ValidationError):
        parse_ref(bad)


def test_parse_version_types():
    assert parse_version(None) == VersionSpec("current")
    assert parse_version(7) == VersionSpec("number", 7)
    with pytest.raises(ValidationError):
        parse_version(True)
    with pytest.raises(ValidationError):
        parse_ref(None)


@pytest.mark.parametrize(("text", "named"), [("calls", False), ("calls:current", True), ("calls:v2", True),
                                             ("qa/calls", False), ("a:b:latest", True)])
def test_ref_says_whether_a_version_was_named(text, named):
    assert parse_ref(text).has_version is named


def test_with_version_writes_the_grammar():
    assert with_version("calls", None) == "calls"
    assert with_version("calls", 3) == "calls:v3"
    assert with_version("calls", "latest") == "calls:latest"
    assert parse_ref(with_version("a:b", "v2")) == Ref("a:b", VersionSpec("number", 2))


def test_a_ref_built_by_hand_knows_whether_it_names_a_version():
    assert Ref("calls", VersionSpec("number", 2)).has_version is True
    assert Ref("calls").has_version is False


@pytest.mark.parametrize("bad", ["calls:\uff11", "calls:v\u0663", "calls:\u0967\u0968"])
def test_version_digits_are_ascii_only(bad):
    with pytest.raises(ValidationError, match="non-ASCII digits"):
        parse_ref(bad)


def test_version_numbers_are_bounded_before_they_are_parsed():
    assert parse_ref("calls:v1000000").version == VersionSpec("number", 1_000_000)
    assert parse_ref("calls:v0000007").version == VersionSpec("number", 7)
    for bad in ("calls:v1000001", "calls:" + "9" * 5000, "calls:v" + "1" * 5000):
        with pytest.raises(ValidationError, match="start at 1 and go up to 1,000,000"):
            parse_ref(bad)
    for bad in (0, -5, 2**31 - 1, 10**5000):
        with pytest.raises(ValidationError, match="go up to 1,000,000"):
            parse_version(bad)


def test_ids_follow_one_strict_pattern():
    import uuid

    from plexus_datasets.refs import is_id

    for good in (str(uuid.uuid4()), str(uuid.uuid5(uuid.NAMESPACE_DNS, "x")), "d1", "A_b-9", "x" * 128):
        assert is_id(good), good
    for bad in ("", "x" * 129, "a:b", "../x", "a/b", "a b", "caf\u00e9", "a\n", "a.b", None, 7):
        assert not is_id(bad), bad


@pytest.mark.parametrize(("text", "dataset", "version", "snapshot"), [
    ("calls:v3@sha256:AB12CD34", "calls", "v3", "ab12cd34"),
    ("calls@sha256:ab12cd34ef", "calls", "current", "ab12cd34ef"),
    ("İstanbul calls:v2@SHA256:ab12cd34", "İstanbul calls", "v2", "ab12cd34"),  # lower() would shift the split
    ("a@b:v2", "a@b", "v2", None),  # an @ elsewhere is part of the name
    ("x@ſha256:ab12cd34", "x@ſha256", "ab12cd34", None),  # only ASCII spells the mark
    (f"calls:latest@sha256:{'f' * 64}", "calls", "latest", "f" * 64),
])
def test_a_digest_pins_a_snapshot(text, dataset, version, snapshot):
    ref = parse_ref(text)
    assert (ref.dataset, str(ref.version), ref.snapshot) == (dataset, version, snapshot)
    assert parse_ref(str(ref)) == ref  # what is printed parses back to the same reference


@pytest.mark.parametrize("text", ["calls@sha256:abc", "calls@sha256:" + "a" * 65, "calls@sha256:xyz12345",
                                  "calls@sha256:", "calls:v1@sha256:ab12 cd34"])
def test_a_malformed_digest_is_refused(text):
    with pytest.raises(ValidationError, match="8 to 64 hexadecimal digits"):
        parse_ref(text)


def test_with_version_keeps_the_pin_at_the_end():
    assert with_version("calls@sha256:ab12cd34", "v3") == "calls:v3@sha256:ab12cd34"
