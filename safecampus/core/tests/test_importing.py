from safecampus.core.importing import keyword_match, keyword_patterns


def test_keywords_match_whole_english_words_and_chinese_anywhere():
    patterns = keyword_patterns((("referred", r"refer\w*|nta|移交"), ("theft", r"theft|盗")))
    assert keyword_match("Referred to CCSO", patterns) == "referred"
    assert keyword_match("NTA issued", patterns) == "referred"
    assert keyword_match("Dental emergency", patterns) is None
    assert keyword_match("已移交公安", patterns) == "referred"
    assert keyword_match("电动车被盗", patterns) == "theft"
    assert keyword_match("  ＴＨＥＦＴ  of bicycle", patterns) == "theft"
