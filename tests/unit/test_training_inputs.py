"""The model cache key: a model is retrained exactly when something that shapes it changes."""

import shutil
from pathlib import Path

from bot.ops.training import inputs_hash, own_component_sources

ROOT = Path(__file__).resolve().parents[2]


def _project(tmp_path: Path) -> Path:
    project = tmp_path / "project"
    project.mkdir()
    for name in ("config.yml", "domain.yml"):
        shutil.copy(ROOT / name, project / name)
    shutil.copytree(ROOT / "data", project / "data")
    (project / "bot").mkdir()
    for source in own_component_sources(ROOT):
        shutil.copy(source, project / "bot" / source.name)
    return project


def test_the_source_of_our_own_components_is_part_of_the_model_key(tmp_path):
    project = _project(tmp_path)
    assert [p.name for p in own_component_sources(project)] == ["feedback_cues.py", "triage.py"]
    before = inputs_hash(project)
    assert inputs_hash(project) == before  # stable: nothing changed, nothing retrains
    triage = project / "bot" / "triage.py"
    triage.write_text(triage.read_text() + "\n# stored differently\n")
    assert inputs_hash(project) != before


def test_a_component_of_rasa_itself_adds_no_file(tmp_path):
    project = _project(tmp_path)
    (project / "config.yml").write_text("pipeline:\n  - name: WhitespaceTokenizer\npolicies:\n  - name: RulePolicy\n")
    assert own_component_sources(project) == []
