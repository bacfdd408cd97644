"""A browser-like test client: logged in through CKAN's login form (a
cookie session), carrying CKAN's CSRF token as a browser's form would."""
import re

TOKEN_FIELD = re.compile(r'name="_csrf_token" value="([^"]+)"')


def token_in(page: str) -> str:
    """The CSRF token of the first form of a page."""
    return TOKEN_FIELD.search(page).group(1)


def logged_in(app, user, password):
    client = app.test_client()
    login_page = client.get("/user/login").get_data(as_text=True)
    answer = client.post("/user/login", data={"login": user["name"], "password": password,
                                              "_csrf_token": token_in(login_page)},
                         follow_redirects=False)
    assert answer.status_code == 302, answer.get_data(as_text=True)[:500]
    return client


def form_fields(page: str, form_id: str) -> dict:
    """What a browser would send for the form ``form_id`` left as shown:
    its inputs, checked boxes, selected options and text areas."""
    from bs4 import BeautifulSoup

    form = BeautifulSoup(page, "html.parser").find("form", id=form_id)
    assert form is not None, f"no form #{form_id}"
    fields: dict = {}
    for field in form.find_all(["input", "select", "textarea"]):
        name = field.get("name")
        if not name or field.get("disabled") is not None:
            continue
        if field.name == "select":
            chosen = field.find("option", selected=True) or field.find("option")
            fields[name] = chosen.get("value", chosen.get_text()) if chosen else ""
        elif field.name == "textarea":
            fields[name] = field.get_text()
        elif field.get("type") in ("checkbox", "radio"):
            if field.get("checked") is not None:
                fields[name] = field.get("value", "on")
        elif field.get("type") not in ("submit", "button", "file", "image"):
            fields[name] = field.get("value", "")
    return fields
