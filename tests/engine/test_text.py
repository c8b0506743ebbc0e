"""The one rule for names and ids: characters that are invisible or change the direction of the text are
refused with the character named; ordinary Chinese names, punctuation and rare characters are not."""
import pytest

from costing.engine.parameters import default_parameters
from costing.engine.parse import InputError, parse_budget
from costing.engine.roster import check_input
from costing.engine.text import invisible_characters, invisible_problem, without_invisible

from .helpers import budget_input

REFUSED = ["\u202e", "\u202a", "\u202b", "\u202c", "\u202d", "\u200b", "\u200c", "\u200d", "\u200e", "\u200f",
           "\u2066", "\u2067", "\u2068", "\u2069", "\u061c", "\ufeff", "\u2060", "\u2063", "\u00ad", "\u2028",
           "\u2029", "\u0085", "\u3164", "\u115f", "\U000e0041", "\ud800"]
KEPT = ["渝北区乡镇（街道）项目", "阿卜杜·热合曼", "SG-001", "社会工作者 Ⅱ", "张　三", "䶮", "\U00020000", "\ue000",
        "O'Brien-李", "《项目》——第2期"]


@pytest.mark.parametrize("char", REFUSED)
def test_an_invisible_or_direction_character_is_named(char):
    text = f"SG{char}001"
    code = f"U+{ord(char):04X}"
    assert invisible_characters(text) == [code]
    assert invisible_problem(text) == f"含有不可见或改变文字方向的字符（{code}），请删除后重新输入"
    assert without_invisible(text) == "SG001"


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_names_are_kept_as_they_are(text):
    assert invisible_problem(text) is None and without_invisible(text) == text


def test_several_characters_are_each_named_once():
    assert invisible_problem("\u202eA\u200bB\u202e") == "含有不可见或改变文字方向的字符（U+202E、U+200B），请删除后重新输入"


def test_a_budget_name_with_a_right_to_left_override_is_refused_at_its_field():
    data = budget_input()
    data["project"]["name"] = "渝北\u202e目项"
    data["personnel"][0]["post"] = "社\u200b工"
    with pytest.raises(InputError) as caught:
        parse_budget(data, default_parameters())
    found = {p.path: p.message for p in caught.value.problems}
    assert found == {"project.name": "含有不可见或改变文字方向的字符（U+202E），请删除后重新输入",
                     "personnel[0].post": "含有不可见或改变文字方向的字符（U+200B），请删除后重新输入"}


def test_a_roster_id_with_a_zero_width_space_is_refused_at_its_field():
    person = {"id": "SG-001\u200b", "post": "社工", "level": "junior", "certificate": "assistant_social_worker",
              "monthly_pay": "5000.00"}
    with pytest.raises(InputError) as caught:
        check_input({"budget": budget_input(), "roster": [person]}, default_parameters())
    assert {p.path: p.message for p in caught.value.problems} == {
        "roster[0].id": "含有不可见或改变文字方向的字符（U+200B），请删除后重新输入"}
