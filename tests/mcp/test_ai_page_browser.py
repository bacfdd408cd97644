"""/ai in a real headless Chromium (issue 31, 5): how to connect ChatGPT,
Claude and an IDE agent, the three example questions with their calls, and
the tools as the MCP server itself lists them, in Japanese and English;
axe-core finds nothing and the page logs no console error."""
from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.accessibility import describe, violations
from tests.browser import browser, ckan_server, console_errors  # noqa: F401


@pytest.mark.parametrize("lang, question, words", [
    ("", "札幌市役所から5km以内のAED", ("ChatGPT", "Claude", "VS Code", "日本語で検索")),
    ("/en", "AEDs within 5 km of Sapporo city hall", ("ChatGPT", "Claude", "VS Code", "Search datasets in Japanese")),
])
def test_the_ai_page_says_how_to_connect_and_what_to_ask(ckan_server, browser, lang, question, words):
    browser.get(ckan_server + lang + "/ai")
    page = browser.find_element(By.ID, "ai-guide").text
    assert browser.find_element(By.ID, "mcp-url").text.endswith("/mcp")
    examples = browser.find_element(By.ID, "ai-examples").text
    assert question in examples and '"name": "nearest_standard_points"' in examples
    tools = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#ai-tools dt")]
    assert len(tools) == 10 and "query_standard_dataset" in tools
    for word in words:
        assert word in page, word
    found = violations(browser)
    assert not found, describe(found)
    assert console_errors(browser) == []
