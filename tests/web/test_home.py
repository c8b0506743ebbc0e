import json
from html.parser import HTMLParser

from costing.web import current_parameters

from ..engine.helpers import budget_input, person


class Cells(HTMLParser):
    def __init__(self):
        super().__init__()
        self.cells, self._in = [], False

    def handle_starttag(self, tag, attrs):
        self._in = tag == "td"

    def handle_data(self, data):
        if self._in and data.strip():
            self.cells.append(data.strip())


def test_home_page_shows_the_figures_in_force(client):
    response = client.get("/")
    assert response.status_code == 200
    page = Cells()
    page.feed(response.get_data(as_text=True))
    assert "最低工资标准（月）" in page.cells
    assert "渝人社发〔2024〕22号" in page.cells
    assert 'lang="zh-CN"' in response.get_data(as_text=True)


def test_compute_endpoint_has_the_cli_contract(client):
    response = client.post("/api/v1/compute", data=json.dumps(budget_input()), content_type="application/json")
    assert response.status_code == 200
    assert response.json["totals"]["grand_total"] == "84432.72"      # worked out in tests/engine/test_budget.py


def test_compute_endpoint_reports_field_paths(client):
    response = client.post("/api/v1/compute", json=budget_input(personnel=[person(headcount=0)]))
    assert response.status_code == 400
    assert response.json["errors"] == [{"path": "personnel[0].headcount", "message": "必须是 1 到 1000 之间的整数，现为 0",
                                        "code": "invalid"}]


def test_oversized_body_is_413(client):
    """Past the app's MAX_CONTENT_LENGTH for a signed-in caller; a caller who is not has a smaller cap, which it
    is told (tests/web/test_api_limits.py)."""
    response = client.post("/api/v1/compute", data=b" " * (7 * 1024 * 1024), content_type="application/json")
    assert response.status_code == 413
    assert response.json["errors"] == [{"path": "request", "code": "too_large", "message": (
        "请求体为 7,340,032 字节；未登录时最多 262,144 字节（256 KB），登录后最多 5 MB")}]


def test_a_method_not_allowed_says_which_are(client):
    """RFC 9110: a 405 lists the methods the resource supports, in the API's JSON and on the Chinese page."""
    response = client.get("/api/v1/compute")
    assert response.status_code == 405 and set(response.headers["Allow"].split(", ")) == {"POST", "OPTIONS"}
    assert response.json == {"errors": [{"path": "request", "message": "不支持的请求方式", "code": "method_not_allowed"}]}
    response = client.delete("/")
    assert response.status_code == 405 and "GET" in response.headers["Allow"]
    assert response.mimetype == "text/html" and "不支持的请求方式" in response.get_data(as_text=True)


def test_unknown_page_is_a_chinese_404(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404 and "页面不存在" in response.get_data(as_text=True)


def test_the_api_reads_only_json_declared_as_json(client):
    """A page elsewhere can make its visitors' browsers post a form or text/plain here, not application/json."""
    response = client.post("/api/v1/compute", data=json.dumps(budget_input()).encode(),
                           content_type="application/x-www-form-urlencoded")
    assert response.status_code == 415 and response.json["errors"][0]["code"] == "unsupported_media_type"


def test_officers_read_no_command_lines_or_hashes_and_the_api_has_its_own_page(app, client):
    home = client.get("/").get_data(as_text=True)
    version = current_parameters().version
    assert "python -m costing" not in home and "/api/v1" not in home and version not in home
    docs = client.get("/api").get_data(as_text=True)
    assert "POST /api/v1/compute" in docs and "python -m costing compute" in docs
    assert "<code>Content-Type: application/json</code>" in docs and "最多 256 KB（262,144 字节" in docs
    assert "各最多 100 行，项目期限最多 36 个月" in docs and "各最多 5000 行，项目期限最多 60 个月" in docs
    assert "不限次数（未登录）" in docs             # the tests' configuration: no rate limits
    app.config |= {"API_ANONYMOUS_RATE_LIMIT": "30 per minute", "API_RATE_LIMIT": "300/minute;5000 per day"}
    docs = client.get("/api").get_data(as_text=True)
    assert "每分钟最多 30 次（未登录）、每分钟最多 300 次、每天最多 5000 次（登录后）" in docs
    assert "<code>OVER_APPROPRIATION</code></td><td>超出预算控制数" in docs
