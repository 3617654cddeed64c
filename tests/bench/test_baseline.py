from bench.baseline import bare_domain_and_rules, fingerprint

NLU = """version: "3.1"
nlu:
  - intent: greet
    examples: |
      - hello
      - hiya
  - intent: faq/pets
    examples: |
      - can i keep a dog
      - are cats allowed
  - intent: report_repair
    examples: |
      - my [tap](item) is leaking
      - the [boiler](item) is broken
"""


def test_bare_domain_answers_every_intent_through_one_rule_and_no_custom_action(tmp_path):
    (tmp_path / "nlu.yml").write_text(NLU)
    domain, rules = bare_domain_and_rules(tmp_path / "nlu.yml")
    assert domain["intents"] == ["faq", "greet", "report_repair"]
    assert domain["entities"] == ["item"]
    actions = {rule["steps"][1]["action"] for rule in rules["rules"]}
    assert actions == {"utter_faq", "utter_bench_greet", "utter_bench_report_repair"}
    assert all(a == "utter_faq" or a in domain["responses"] for a in actions)


def test_fingerprint_changes_with_any_input():
    assert fingerprint(b"a", b"b") != fingerprint(b"a", b"c")
    assert fingerprint(b"ab") != fingerprint(b"a", b"b")
