"""Word- and theme-intrusion items and their scores."""

from __future__ import annotations

import pytest

from coopthemes.results import read_results
from coopthemes.validation import (
    ValidationError,
    draw_intrusion,
    read_sheet,
    score_sheets,
    theme_intrusion,
    word_intrusion,
    write_csv,
    write_intrusion,
)
from validation_helpers import TERMS, THEMES, write_hand_results


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    return read_results(write_hand_results(tmp_path_factory.mktemp("intrusion") / "results"))


def test_word_items_hold_top_terms_and_one_intruder(result):
    task = word_intrusion(result, n_terms=4, seed=0)
    assert task.sample_id.startswith("w") and len(task.sheet) == 5 * 3  # every theme, every language
    options = [f"option_{k}" for k in range(1, 6)]
    assert list(task.sheet.columns) == ["item_id", "language", *options, "code", "note"]
    key = task.key.set_index("item_id")
    positions = set()
    for row in task.sheet.itertuples(index=False):
        k = key.loc[row.item_id]
        words = [getattr(row, o) for o in options]
        own = TERMS[int(k["theme_id"])][row.language]
        assert words[int(k["intruder_position"]) - 1] == k["intruder"]
        assert k["intruder"] not in own
        assert k["intruder"] in TERMS[int(k["intruder_theme_id"])][row.language][:3]
        assert [w for i, w in enumerate(words) if i != k["intruder_position"] - 1] == own[:4]
        positions.add(int(k["intruder_position"]))
    assert len(positions) > 1  # shuffled positions
    again = word_intrusion(result, n_terms=4, seed=0)
    assert again.sheet.equals(task.sheet) and again.key.equals(task.key)
    assert not word_intrusion(result, n_terms=4, seed=1).sheet.equals(task.sheet)


def test_theme_items_show_the_passages_theme_and_an_unlikely_one(result):
    task = theme_intrusion(result, per_theme=2, seed=0)
    assert task.sample_id.startswith("t")
    key = task.key.set_index("item_id")
    codes = {t[0]: t[2] or "none" for t in THEMES}
    for row in task.sheet.itertuples(index=False):
        k = key.loc[row.item_id]
        shown = [int(u) for u in k["option_theme_ids"].split(";")]
        assert len(shown) == 4 == len(set(shown))
        assert int(k["theme_id"]) in shown and int(k["intruder_theme_id"]) != int(k["theme_id"])
        assert shown[int(k["intruder_position"]) - 1] == int(k["intruder_theme_id"])
        likely = [u for u in shown if u != int(k["intruder_theme_id"])]
        assert codes[int(k["intruder_theme_id"])] not in {codes[u] for u in likely} - {"none"}
    # the maritime passage d2:000 (theme 2): its likely themes include the theme whose terms it uses
    assert "d2:000" in set(task.sheet["passage_id"])


def test_theme_intrusion_needs_four_themes(result):
    from coopthemes.results import RunResult

    few = RunResult({**result.tables, "themes": result.themes[result.themes["theme_id"] < 3]}, result.info,
                    result.results_dir)
    with pytest.raises(ValidationError, match="at least 4 themes"):
        theme_intrusion(few)


def _fill(sheet, key, found: set):
    """Pick the intruder on the items in ``found``, the first other option elsewhere."""
    out = sheet.copy()
    position = dict(zip(key["item_id"], key["intruder_position"].astype(int)))
    out["code"] = [str(position[i]) if i in found else str(1 if position[i] != 1 else 2) for i in out["item_id"]]
    return out


def test_scores_are_the_share_of_intruders_found(result, tmp_path):
    tasks = draw_intrusion(result, n_terms=4, per_theme=2, seed=0)
    write_intrusion(tasks, tmp_path, result=result)
    key = read_sheet(tmp_path / "answer_key.csv")
    word_key = key[key["task"] == "word"]
    sheet = read_sheet(tmp_path / "coders" / "word_intrusion.csv")
    everything = set(sheet["item_id"])
    half = set(word_key[word_key["theme_id"] == "0"]["item_id"])
    a = write_csv(_fill(sheet, word_key, everything), tmp_path / "a.csv")
    b = write_csv(_fill(sheet, word_key, everything - half), tmp_path / "b.csv")
    scores = score_sheets(result, [a, b], n_boot=200)
    assert scores.kind == "word"
    table = scores["intrusion_scores"].set_index("theme_id")
    assert table.loc["0", "share_found"] == 0.5 and table.loc["0", "n_judgements"] == 6
    assert table.loc["1", "share_found"] == 1.0
    assert table.loc["all", "share_found"] == pytest.approx((15 * 2 - 3) / 30)
    assert table.loc["all", "chance"] == pytest.approx(1 / 5)
    overall = table.loc["all"]
    assert overall["share_found_low"] <= overall["share_found"] <= overall["share_found_high"]


def test_the_intruder_may_be_written_as_the_word_itself(result, tmp_path):
    tasks = draw_intrusion(result, per_theme=1, seed=2)
    write_intrusion(tasks, tmp_path, result=result)
    key = read_sheet(tmp_path / "answer_key.csv")
    theme_key = key[key["task"] == "theme"].set_index("item_id")
    sheet = read_sheet(tmp_path / "coders" / "theme_intrusion.xlsx")
    by_word = sheet.copy()
    by_word["code"] = [theme_key.loc[i, "intruder"].upper() for i in sheet["item_id"]]
    by_number = sheet.copy()
    by_number["code"] = [theme_key.loc[i, "intruder_position"] for i in sheet["item_id"]]
    paths = [write_csv(by_word, tmp_path / "w.csv"), write_csv(by_number, tmp_path / "n.csv")]
    table = score_sheets(result, paths, n_boot=50)["intrusion_scores"]
    assert (table["share_found"] == 1.0).all()
    bad = sheet.copy()
    bad["code"] = "7"
    with pytest.raises(ValidationError, match=r"bad.csv, item t\w+-\d+: '7' is neither an option number \(1 to 4\)"):
        score_sheets(result, [paths[0], write_csv(bad, tmp_path / "bad.csv")])
