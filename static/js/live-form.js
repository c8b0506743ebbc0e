// Live forms (budgets and rosters): add and remove rows, and a live preview through
// POST /api/v1/compute (data-preview-kind="compute") or POST /api/v1/check ("check").
// Field names mirror the contract ("personnel-2-monthly_pay" is personnel[2].monthly_pay);
// formToContract follows the same rules as costing/web/budgets/mapping.py.
(function () {
  "use strict";
  const form = document.querySelector("form[data-preview-url]");
  if (!form) return;
  const kind = form.dataset.previewKind || "compute";
  const INTEGER_KEYS = new Set(["headcount", "months", "workers", "total_posts", "people", "people_per_worker"]);
  const FORM_ONLY = new Set(["csrf_token", "note", "base_revision", "name", "version"]);
  const money = new Intl.NumberFormat("zh-CN", { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  const stateEl = document.getElementById("preview-state");

  const AMOUNT_KEYS = new Set(["monthly_pay", "monthly_allowance", "annual_bonus", "si_base", "unit_price",
    "appropriation", "junior", "mid", "senior", "quantity"]);
  const RATE_KEYS = new Set(["housing_fund_rate", "work_injury_rate", "management_fee_rate", "min_personnel_share",
    "max_management_fee_rate", "pension", "medical", "serious_illness", "unemployment", "work_injury"]);

  // "7%" → "0.07" without floating point: move the decimal point two places left.
  function percentToFraction(text) {
    const m = /^([0-9]+)(?:\.([0-9]+))?%$/.exec(text);
    if (!m) return text;
    const digits = (m[1] + (m[2] || "")).replace(/^0+(?=\d)/, "");
    const scale = (m[2] || "").length + 2;
    const padded = digits.padStart(scale + 1, "0");
    const whole = padded.slice(0, padded.length - scale).replace(/^0+(?=\d)/, "");
    const frac = padded.slice(padded.length - scale).replace(/0+$/, "");
    return frac ? `${whole}.${frac}` : whole;
  }

  // Same conventions as mapping.friendly(): full-width characters, thousands separators, percentages.
  function friendly(key, text) {
    if (!AMOUNT_KEYS.has(key) && !RATE_KEYS.has(key) && !INTEGER_KEYS.has(key)) return text.trim();
    text = text.normalize("NFKC").trim();
    if (AMOUNT_KEYS.has(key)) {
      text = text.replace(/[,，]/g, "").replace(/^[¥￥]/, "");
      const m = /^([0-9]{1,12})(?:\.([0-9]{1,2}))?$/.exec(text);
      if (key !== "quantity" && m) text = `${m[1].replace(/^0+(?=\d)/, "")}.${(m[2] || "").padEnd(2, "0")}`;
      return text;
    }
    if (RATE_KEYS.has(key)) return percentToFraction(text.replace(/\s+/g, ""));
    return text;
  }

  function clean(value, key) {
    if (Array.isArray(value)) return value.filter((v) => v !== undefined).map((v) => clean(v) || {});
    if (value !== null && typeof value === "object") {
      const out = {};
      for (const [k, v] of Object.entries(value)) {
        const c = clean(v, k);
        if (c !== null) out[k] = c;
      }
      if (key === "site" && !("type" in out)) return null;
      return Object.keys(out).length ? out : null;
    }
    const text = friendly(key, String(value));
    if (text === "") return null;
    if (INTEGER_KEYS.has(key) && /^[0-9]{1,9}$/.test(text)) return parseInt(text, 10);
    return text;
  }

  function formToContract() {
    const data = {};
    for (const el of form.elements) {
      if (!el.name || FORM_ONLY.has(el.name)) continue;
      const parts = el.name.split("-");
      let node = data;
      parts.forEach((part, i) => {
        const last = i === parts.length - 1;
        const nextIsIndex = !last && /^\d+$/.test(parts[i + 1]);
        const key = /^\d+$/.test(part) ? parseInt(part, 10) : part;
        if (last) node[key] = el.value;
        else node = node[key] = node[key] || (nextIsIndex ? [] : {});
      });
    }
    const out = clean(data) || {};
    if (kind === "check") return out;
    out.project = out.project || {};
    out.personnel = out.personnel || [];
    out.costs = out.costs || [];
    return out;
  }

  function payload() {
    const contract = formToContract();
    if (kind !== "check") return contract;
    return { budget: JSON.parse(document.getElementById("budget-input").textContent), roster: contract.roster || [] };
  }

  // Contract path "personnel[2].monthly_pay" → field name "personnel-2-monthly_pay".
  const pathToName = (path) => path.replace(/\[(\d+)\]/g, "-$1").replace(/\./g, "-");

  function clearErrors() {
    form.querySelectorAll("[data-error-for]").forEach((el) => { el.textContent = ""; });
    form.querySelectorAll(".has-error").forEach((el) => el.classList.remove("has-error"));
  }

  // A field shows its message once the user has typed in it (or after a save attempt): a new, empty
  // form does not open covered in "必填".
  const touched = new Set();
  const pristine = form.dataset.pristine === "true";
  // a reason's message shows once its override has been typed in (the reason is required by it)
  const shown = (name) => !pristine || touched.has(name) || touched.has(name.replace(/_reason$/, ""));

  // The reason beside an overridden default ("personnel-2-si_base_reason" beside "personnel-2-si_base")
  // is shown while either of them is filled; the engine requires it with the override.
  function toggleReason(el) {
    const base = el.name.replace(/_reason$/, "");
    const reason = form.elements.namedItem(base + "_reason");
    const override = form.elements.namedItem(base);
    const wrap = reason && reason.closest && reason.closest("[data-reason]");
    if (wrap && override) wrap.hidden = !override.value.trim() && !reason.value.trim();
  }

  function showErrors(errors) {
    const general = [];
    for (const e of errors) {
      const name = pathToName(e.path);
      const slot = form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
      if (slot && !shown(name)) continue;
      if (slot) {
        slot.textContent = slot.textContent ? slot.textContent + "；" + e.message : e.message;
        slot.parentElement.classList.add("has-error");
      } else {
        general.push(`${e.path}: ${e.message}`);
      }
    }
    return general;
  }

  function where(path) {
    const m = /^(personnel|costs|roster)\[(\d+)\]/.exec(path);
    if (!m) return "";  // budget-level finding
    const noun = { personnel: "人员第 ", costs: "费用第 ", roster: "花名册第 " }[m[1]];
    return noun + (parseInt(m[2], 10) + 1) + " 行：";
  }

  function showTotals(result) {
    const t = result.totals;
    for (const el of document.querySelectorAll("[data-total]")) {
      const key = el.dataset.total;
      if (!(key in t)) continue;
      el.textContent = key === "personnel_share" ? (parseFloat(t[key]) * 100).toFixed(2) + "%"
        : /^\d+$/.test(String(t[key])) ? String(t[key]) : money.format(Number(t[key])) + " 元";
    }
    const words = document.getElementById("preview-words");
    if (words) words.textContent = result.amount_in_words || "";
  }

  function render(result) {
    showTotals(result);
    const list = document.getElementById("preview-findings");
    list.replaceChildren();
    clearRowFindings();
    const shown = result.findings.filter((f) => f.severity !== "info");
    const errors = shown.filter((f) => f.severity === "error").length;
    const counts = document.getElementById("preview-counts");
    counts.textContent = errors ? `${errors} 项错误，${shown.length - errors} 项提示`
      : (shown.length ? `无错误，${shown.length} 项提示` : "未发现问题");
    counts.className = errors ? "count-error" : "count-ok";
    const byRow = new Map();
    for (const f of shown) {
      const li = findingItem(f);
      const m = /^(personnel|costs|roster)\[(\d+)\]/.exec(f.where);
      const row = m && form.querySelectorAll(`tr[data-row="${m[1]}"]`)[parseInt(m[2], 10)];
      if (row) {
        if (!byRow.has(row)) byRow.set(row, []);
        byRow.get(row).push(li);
      } else {
        list.append(li);
      }
    }
    for (const [row, items] of byRow) {
      const tr = document.createElement("tr");
      tr.className = "live-finding";
      const td = document.createElement("td");
      td.colSpan = row.children.length;
      const ul = document.createElement("ul");
      ul.className = "findings compact";
      ul.append(...items);
      td.append(ul);
      tr.append(td);
      row.after(tr);
    }
    if (!list.children.length) {
      const li = document.createElement("li");
      li.className = "muted";
      li.textContent = shown.length ? "其余结论见各岗位下方。" : "未发现问题。";
      list.append(li);
    }
  }

  function findingItem(f) {
    const li = document.createElement("li");
    li.className = "finding finding-" + f.severity;
    li.dataset.code = f.code;
    li.textContent = `${where(f.where)}${f.message}`;
    const basis = document.createElement("span");
    basis.className = "basis";
    basis.textContent = "依据：" + f.basis;
    li.append(basis);
    return li;
  }

  const clearRowFindings = () => form.querySelectorAll("tr.live-finding").forEach((tr) => tr.remove());

  let timer = null;
  let sequence = 0;
  async function preview() {
    const mine = ++sequence;
    stateEl.textContent = "计算中…";
    let response;
    try {
      response = await fetch(form.dataset.previewUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(payload()),
      });
    } catch (err) {
      if (mine === sequence) stateEl.textContent = "无法连接服务器";
      return;
    }
    if (mine !== sequence) return;            // a newer preview is on its way
    const body = await response.json();
    clearErrors();
    if (response.ok) {
      document.querySelectorAll("[data-total]").forEach((el) => el.classList.remove("stale"));
      render(body);
      // overrides whose reason is still to be written: the totals count them, the reason field says so
      showErrors(body.pending || []);
      stateEl.textContent = body.pending && body.pending.length ? "已更新（请写明理由后保存）" : "已更新";
      form.dataset.previewState = "ok";
    } else {
      const general = showErrors(body.errors || []);
      const list = document.getElementById("preview-findings");
      list.replaceChildren();
      clearRowFindings();
      for (const message of general) {
        const li = document.createElement("li");
        li.className = "finding finding-error";
        li.textContent = message;
        list.append(li);
      }
      const count = (body.errors || []).length;
      document.getElementById("preview-counts").textContent = pristine && !touched.size
        ? `请填写项目与人员（${count} 项待填）` : `${count} 处输入需要修改`;
      document.getElementById("preview-counts").className = "count-error";
      // the totals shown belong to the last valid input: grey them out instead of presenting them as current
      document.querySelectorAll("[data-total]").forEach((el) => el.classList.add("stale"));
      stateEl.textContent = "输入有误";
      form.dataset.previewState = "invalid";
    }
  }
  const schedule = () => { clearTimeout(timer); stateEl.textContent = "…"; timer = setTimeout(preview, 300); };

  function renumber(kind) {
    const rows = form.querySelectorAll(`tr[data-row="${kind}"]`);
    rows.forEach((row, index) => {
      row.querySelectorAll("[name], [id], [data-error-for]").forEach((el) => {
        for (const attr of ["name", "id", "data-error-for"]) {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(new RegExp(`^${kind}-\\d+-`), `${kind}-${index}-`));
        }
      });
    });
  }

  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-row]");
    if (add) {
      const kind = add.dataset.addRow;
      const template = document.getElementById(`${kind}-template`);
      const row = template.content.firstElementChild.cloneNode(true);
      document.querySelector(`#${kind}-rows tbody`).append(row);
      renumber(kind);
      row.querySelector("input, select").focus();
      dirty = true;
      schedule();
      return;
    }
    const remove = event.target.closest("[data-remove-row]");
    if (remove) {
      const row = remove.closest("tr");
      const kind = row.dataset.row;
      row.remove();
      renumber(kind);
      dirty = true;
      schedule();
    }
  });
  let dirty = false;
  const edited = (event) => {
    if (event.target.name) {
      touched.add(event.target.name);
      toggleReason(event.target);
    }
    dirty = true;
    schedule();
  };
  form.addEventListener("input", edited);
  form.addEventListener("change", edited);
  window.addEventListener("beforeunload", (event) => {
    if (dirty && !saving) { event.preventDefault(); event.returnValue = ""; }
  });
  let saving = false;
  form.addEventListener("submit", (event) => {
    if (saving) { event.preventDefault(); return; }
    saving = true;
    form.querySelector("button[type=submit]").textContent = "保存中…";
  });
  preview();
})();
