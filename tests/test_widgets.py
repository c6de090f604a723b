"""Widgets driven headless through their traits, against a demo-seeded SQLite store."""

import html

import pytest

from plexus_datasets import connect
from plexus_datasets.demo import seed_demo
from plexus_datasets.widgets import (
    DatasetBrowser,
    DatasetForm,
    DatasetSelector,
    ProfileHistory,
    ProfileView,
    VersionDiffTable,
    VersionManager,
)

HOSTILE = "<img src=x onerror=alert(1)>"
ESCAPED = html.escape(HOSTILE)


@pytest.fixture
def svc(tmp_path):
    service = connect(str(tmp_path / "widgets.db"))
    seed_demo(service)
    yield service
    service.close()


def html_of(widget) -> str:
    """Every HTML value in a widget tree, plus Plotly trace names and hover templates."""
    out = []
    stack = [widget]
    while stack:
        node = stack.pop()
        if hasattr(node, "children"):
            stack.extend(node.children)
        if type(node).__name__ in ("HTML", "Status"):
            out.append(node.value)
        if hasattr(node, "data") and hasattr(node, "layout") and hasattr(node, "batch_update"):
            for trace in node.data:
                out += [str(trace.name), str(getattr(trace, "hovertemplate", "")), str(getattr(trace, "x", ""))]
            out += [str(a.text) for a in node.layout.annotations or []] + [str(node.layout.title.text)]
    return "\n".join(out)


def test_selector_cascades_and_preselects(svc):
    selector = DatasetSelector(svc)
    assert selector.dataset.name == "greeting-calls" and selector.value.version_number == 3
    seen = []
    selector.observe(lambda c: seen.append(c["new"]), "value")
    selector.score_dropdown.value = svc.get_score("agent-misrepresentation").id
    assert [label for label, _ in selector.dataset_dropdown.options] == ["misrepresentation-review"]
    assert selector.dataset.name == "misrepresentation-review" and selector.value.version_number == 2  # current
    selector.version_dropdown.value = "latest"
    assert selector.value.version_number == 3 and seen[-1].version_number == 3
    labels = [label for label, _ in selector.version_dropdown.options]
    assert labels[:2] == ["current (v2)", "latest (v3)"] and labels[2].startswith("v3 · 2025-")
    assert "(current)" in labels[3]
    selector.score_dropdown.value = "__all__"
    selector.filter_text.value = "BALANCED"
    assert selector.ref == "greeting-calls-balanced:v2"
    selector.filter_text.value = "no such thing"
    assert selector.value is None and "No dataset matches" in selector.status.value
    chosen = DatasetSelector(svc, ref="greeting-calls:1")
    assert chosen.ref == "greeting-calls:v1" and repr(chosen) == "DatasetSelector(greeting-calls:v1)"
    assert DatasetSelector(svc, ref="greeting-calls:latest").version_dropdown.value == "latest"
    bad = DatasetSelector(svc, ref="nope:1")
    assert "NotFoundError" in bad.status.value and "Candidates" in bad.status.value


def test_selector_with_10000_datasets_stays_responsive(tmp_path):
    svc = connect(str(tmp_path / "big.db"))
    card = svc.create_scorecard("Big", key="big")
    with svc.backend.transaction():
        for i in range(10_000):
            svc.create_dataset(card, f"dataset-{i:05d}")  # the name check is an indexed lookup
    calls = []
    original = svc.backend.list
    svc.backend.list = lambda *a, **k: calls.append(a) or original(*a, **k)  # count lookups, real store underneath
    selector = DatasetSelector(svc)
    selector.filter_text.value = "dataset-0999"
    assert [label for label, _ in selector.dataset_dropdown.options][:2] == ["dataset-09990", "dataset-09991"]
    assert len(selector.dataset_dropdown.options) == 10
    # One index lookup, not one call per dataset (benchmarks/widgets_bench.py measures the speed).
    assert sum(1 for a in calls if a[0] == "Dataset") == 1


def test_browser_search_sort_choose(svc):
    browser = DatasetBrowser(svc)
    frame = browser.to_dataframe()
    assert frame["name"].tolist() == ["greeting-calls", "greeting-calls-balanced", "misrepresentation-review"]
    assert frame.loc[0, "current version"] == 3 and frame.loc[0, "versions"] == 3
    assert frame.loc[0, "records"] == svc.latest_profile("greeting-calls").record_counts["rows"]
    assert frame.loc[0, "scorecard"] == "Demo Call Center QA" and frame.loc[2, "score"] == "Agent Misrepresentation"
    browser.sort_by.value = "records"
    browser.descending.value = True
    assert browser.to_dataframe()["records"].tolist() == sorted(frame["records"].tolist(), reverse=True)
    browser.search.value = "misrep"
    assert browser.to_dataframe()["name"].tolist() == ["misrepresentation-review"]
    browser.search.value = ""
    browser.picker.value = svc.get_dataset("greeting-calls-balanced").id
    assert browser.selected.name == "greeting-calls-balanced"
    assert browser.select("misrepresentation-review").id == browser.selected.id


def test_form_validates_inline_and_keeps_input(svc):
    form = DatasetForm(svc)
    form.name.value = "new-calls"
    form.configuration.value = "class: FileItems\npath: [unclosed\n"
    assert form.submit() is None
    assert "line 3, column 1" in form.problems.value
    assert form.configuration.value == "class: FileItems\npath: [unclosed\n" and form.name.value == "new-calls"
    form.configuration.value = "class: FeedbackItems\nscorecard: 1438\ndays: 30\n"
    assert form.submit() is None and "FeedbackItems" in form.problems.value and "install Plexus" in form.problems.value
    form.allow_missing_loader.value = True
    form.score_dropdown.value = svc.get_score("greeting").id
    created = form.submit()
    assert created is not None and form.created == created and created.score_id == svc.get_score("greeting").id
    assert svc.resolve("new-calls").configuration == {"class": "FeedbackItems", "scorecard": 1438, "days": 30}
    assert form.submit() is None and "already has a dataset" in form.status.value  # duplicate name
    assert form.name.value == "new-calls"
    form.name.value = "  "
    assert "Name" in " ".join(form.check())


def test_version_manager_cas_new_version_and_diff(svc):
    manager = VersionManager("greeting-calls", svc)
    labels = [label for label, _ in manager.picker.options]
    assert labels == ["v3 ●", "v2", "v1"]
    assert "● current" in manager.table.value and "first cut" in manager.table.value
    manager.picker.value = manager.picker.options[2][1]
    manager.make_current()
    assert svc.current_version("greeting-calls").version_number == 1 and "v1 is now" in manager.status.value
    svc.set_current_version("greeting-calls", 2)  # someone else moves it
    manager.picker.value = manager.picker.options[0][1]
    manager.make_current()
    assert "ConflictError" in manager.status.value and "now v2" in manager.status.value
    assert svc.current_version("greeting-calls").version_number == 2  # the conflict changed nothing
    manager.refresh()
    manager.picker.value = manager.picker.options[0][1]  # v3
    manager.start_new_version()
    assert "InlineItems" in manager.editor.value and manager.edit_box.layout.display is None
    manager.editor.value = manager.editor.value.replace("label_column: Greeting", "label_column: Greeting\nbalance: true")
    manager.note.value = "balanced"
    saved = manager.save_new_version()
    assert saved.version_number == 4 and saved.note == "balanced" and manager.selected.id == saved.id
    manager.show_diff()
    assert "pds-added" in manager.diff_view.value and "balance" in manager.diff_view.value
    manager.start_new_version()
    manager.editor.value = "class: [broken"
    assert manager.save_new_version() is None and manager.editor.value == "class: [broken"
    assert "line 1" in manager.status.value


def test_diff_table_rows_no_differences_and_profiles(svc):
    svc.create_version("greeting-calls", {"class": "FileItems", "path": "a.csv", "processors": [
        {"class": "ColumnDatasetFilter", "parameters": {"filter-type": "include", "columns": ["text"]}}]},
        check=False)  # files on another machine: this test is about the diff
    svc.create_version("greeting-calls", {"class": "FileItems", "path": "b.csv", "label_column": "Greeting"},
                       check=False)
    table = VersionDiffTable("greeting-calls", service=svc)
    # by default: what the latest version (v5) changes relative to the current one (v3)
    assert (table.a_dropdown.value, table.b_dropdown.value) == (svc.resolve("greeting-calls:current").id,
                                                                 svc.resolve("greeting-calls:5").id)
    table.a_dropdown.value = svc.resolve("greeting-calls:4").id
    kinds = {c.path_text: c.kind for c in table.diff}
    assert kinds == {"path": "changed", "processors": "removed", "label_column": "added"}
    assert "pds-changed" in table.table.value and "pds-removed" in table.table.value and "pds-added" in table.table.value
    assert "a.csv" in table.table.value and "b.csv" in table.table.value
    assert table.comparison is None and "both versions have a profile" in table.profiles.value
    table.a_dropdown.value = svc.resolve("greeting-calls:1").id
    table.b_dropdown.value = svc.resolve("greeting-calls:1").id
    assert not table.diff and "No differences" in table.table.value
    table.b_dropdown.value = svc.resolve("greeting-calls:3").id
    assert table.comparison is not None and "pp" in table.profiles.value and "drift" in table.profiles.value


def test_profile_view(svc):
    view = ProfileView("greeting-calls", svc)
    profile = svc.latest_profile("greeting-calls")
    counts = profile.answer_distribution["columns"]["Greeting"]
    bars = dict(zip(view.figure.data[0].x, view.figure.data[0].y))
    assert bars == {**counts["counts"], "(null)": counts["null"]} if counts["null"] else counts["counts"]
    assert f"{profile.record_counts['rows']:,}</b> records" in view.summary.value
    assert "content_id" in view.columns_table.value and "int64" in view.columns_table.value
    view.profile = svc.list_profiles("greeting-calls")[0]
    assert sum(view.figure.data[0].y) == svc.list_profiles("greeting-calls")[0].record_counts["rows"]
    assert "No profile" in ProfileView(svc.create_dataset("demo-cc-qa", "empty").name, svc).status.value


def test_profile_history(svc):
    history = ProfileHistory("greeting-calls", svc)
    profiles = svc.list_profiles("greeting-calls")
    rows = history.rows_figure.data[0]
    assert list(rows.y) == [p.record_counts["rows"] for p in profiles]
    assert [a.text for a in history.rows_figure.layout.annotations] == ["v2", "v3"]
    assert len(history.rows_figure.layout.shapes) == 2
    assert rows.customdata[0].startswith("v1 · 2025-01-06")
    shares = {t.name: list(t.y) for t in history.answers_figure.data}
    first = profiles[0].answer_distribution["columns"]["Greeting"]
    total = sum(first["counts"].values())
    assert shares["Yes"][0] == pytest.approx(100 * first["counts"]["Yes"] / total)
    assert {t.name for t in history.nulls_figure.data} == {"content_id", "text", "Greeting"}
    history.version_filter.value = svc.resolve("greeting-calls:2").id
    assert len(history.profiles) == 2 and list(history.rows_figure.data[0].y) == [p.record_counts["rows"]
                                                                                   for p in profiles[2:4]]
    assert len(ProfileHistory("greeting-calls:1", svc).profiles) == 2


def test_hostile_names_are_escaped_everywhere(svc):
    card = svc.get_scorecard("demo-cc-qa")
    section = svc.list_sections(card)[0]
    score = svc.create_score(section, HOSTILE, key="hostile", metadata={"label_column": HOSTILE})
    items = [{"text": "hi there", HOSTILE: "Yes"}, {"text": "bye now", HOSTILE: HOSTILE}]
    ds = svc.create_dataset(card, HOSTILE, score=score, description=HOSTILE,
                            configuration={"class": "InlineItems", "items": items}, note=HOSTILE)
    svc.create_version(ds, {"class": "InlineItems", "items": items[:1], "label_column": HOSTILE}, note=HOSTILE)
    svc.profile(f"{ds.id}:1")
    svc.profile(f"{ds.id}:2")
    widgets = [
        DatasetSelector(svc, ref=f"{ds.id}:1"), DatasetBrowser(svc), VersionManager(ds, svc),
        VersionDiffTable(ds, service=svc), ProfileView(ds.id, svc), ProfileHistory(ds.id, svc),
    ]
    manager = widgets[2]
    manager.picker.value = manager.picker.options[-1][1]
    manager.show_diff()
    form = DatasetForm(svc)
    form.name.value = HOSTILE
    form.configuration.value = "class: InlineItems\nitems: [{a: 1}]\n"
    form.submit()  # duplicate: the error names the dataset
    widgets.append(form)
    for widget in widgets:
        text = html_of(widget)
        assert HOSTILE not in text, type(widget).__name__
    assert ESCAPED in html_of(widgets[1]) and ESCAPED in html_of(widgets[2]) and ESCAPED in html_of(form)
    reprs = [ds, svc.resolve(f"{ds.id}:1"), svc.latest_profile(ds.id), svc.list_datasets(), svc.list_versions(ds),
             svc.list_profiles(ds.id), svc.dataset_summaries()]
    for shown in reprs:
        assert HOSTILE not in shown._repr_html_()
        assert ESCAPED in shown._repr_html_() or isinstance(shown, list) and not shown
    assert HOSTILE in repr(ds) and HOSTILE in repr(svc.list_datasets())  # plain text shows it as text


def test_plain_reprs_outside_jupyter(svc):
    assert repr(DatasetSelector(svc)) == "DatasetSelector(greeting-calls:v3)"
    assert repr(DatasetBrowser(svc)).startswith("DatasetBrowser(3 of 3 datasets shown")
    assert repr(VersionManager("greeting-calls", svc)) == "VersionManager(greeting-calls: 3 versions, selected v3)"
    assert repr(ProfileHistory("greeting-calls", svc)) == "ProfileHistory(6 profiles, answer column 'Greeting')"
    frame = svc.list_versions("greeting-calls").to_dataframe()
    assert frame["version_number"].tolist() == [1, 2, 3]


def test_profile_history_of_a_version_without_profiles_shows_the_empty_state(svc):
    version = svc.create_version("greeting-calls", {"class": "InlineItems", "items": [{"text": "hi", "Greeting": "Yes"}]})
    history = ProfileHistory(f"greeting-calls:{version.label}", svc)
    assert history.profiles == [] and history.version_filter.value == version.id
    assert f"greeting-calls {version.label} has no profiles yet" in history.status.value
    assert list(history.rows_figure.data[0].y) == []


def test_template_syntax_in_labels_is_shown_not_substituted(svc):
    label = "%{y}"  # an answer class and a column name that look like Plotly template variables
    items = [{"text": "a", label: "%{customdata}"}, {"text": "b", label: "No"}]
    ds = svc.create_dataset("demo-cc-qa", "templated", configuration={"class": "InlineItems", "items": items,
                                                                       "label_column": label})
    svc.profile(f"{ds.id}:1")
    history = ProfileHistory(ds.id, svc)
    for figure in (history.answers_figure, history.nulls_figure):
        for trace in figure.data:
            template = trace.hovertemplate
            # only our own two variables are left for Plotly to substitute
            assert template.count("%{") == 2 and "%{y:.1f}" in template and "%{customdata}" in template, template
    names = {t.name for t in history.answers_figure.data}
    assert "&#37;{customdata}" in names
    view = ProfileView(ds.id, svc)
    assert "&#37;{y}" in str(view.figure.layout.title.text)
