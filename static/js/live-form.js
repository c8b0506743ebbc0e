// Live forms (budgets and rosters): add and remove rows, and a live preview that posts the form itself
// to the server (data-preview-url), which reads it exactly as saving would and answers with the totals
// as they read, the findings with their row, and each problem at its field. Nothing is computed or
// formatted here, so the preview cannot tell a budget differently from the saved page.
(function () {
  "use strict";
  const form = document.querySelector("form[data-preview-url]");
  if (!form) return;
  const stateEl = document.getElementById("preview-state");

  // messages and notes at fields belong to the last preview: an invalid form keeps no stale note
  function clearErrors() {
    form.querySelectorAll("[data-error-for], [data-hint-for]").forEach((el) => { el.textContent = ""; });
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

  // problems: [{field, message, general}] — field is the form's own name for it, or null
  function showErrors(problems) {
    const general = [];
    for (const e of problems) {
      const slot = e.field && form.querySelector(`[data-error-for="${CSS.escape(e.field)}"]`);
      if (slot && !shown(e.field)) continue;
      if (slot) {
        slot.textContent = slot.textContent ? slot.textContent + "；" + e.message : e.message;
        slot.parentElement.classList.add("has-error");
      } else {
        general.push(e.general || e.message);
      }
    }
    return general;
  }

  // notes said at a field (a district's 职业津贴 standard not entered): [{field, message}]
  function showHints(hints) {
    for (const h of hints || []) {
      const slot = form.querySelector(`[data-hint-for="${CSS.escape(h.field)}"]`);
      if (slot) slot.textContent = h.message;
    }
  }

  // what each blank field stands for, as the server priced the form: [{field, shown, title}]; and the notes that
  // follow what was typed (the housing-fund rate at the service's start): {key: text}
  function showInForce(result) {
    for (const f of result.in_force || []) {
      const el = form.elements.namedItem(f.field);
      if (el && el.placeholder !== undefined) {
        el.placeholder = f.shown;
        el.title = f.title;
      }
    }
    for (const [key, text] of Object.entries(result.notes || {})) {
      form.querySelectorAll(`[data-note="${CSS.escape(key)}"]`).forEach((el) => { el.textContent = text; });
    }
  }

  function showTotals(result) {
    for (const el of document.querySelectorAll("[data-total]")) {
      const key = el.dataset.total;
      if (key in result.totals) el.textContent = result.totals[key];
    }
    const words = document.getElementById("preview-words");
    if (words) words.textContent = result.words || "";
  }

  function render(result) {
    showTotals(result);
    const list = document.getElementById("preview-findings");
    list.replaceChildren();
    clearRowFindings();
    const counts = document.getElementById("preview-counts");
    counts.textContent = result.counts.text;
    counts.className = result.counts.blocking ? "count-error" : "count-ok";
    const byRow = new Map();
    for (const f of result.findings) {
      const row = f.row && form.querySelectorAll(`tr[data-row="${f.row[0]}"]`)[f.row[1]];
      if (row) {
        if (!byRow.has(row)) byRow.set(row, []);
        byRow.get(row).push(findingItem(f, ""));
      } else {
        list.append(findingItem(f, f.place ? f.place + "：" : ""));
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
      li.textContent = result.findings.length ? "其余结论见各岗位下方。" : "未发现问题。";
      list.append(li);
    }
  }

  function findingItem(f, place) {
    const li = document.createElement("li");
    li.className = "finding finding-" + f.severity;
    li.dataset.code = f.code;
    li.textContent = `${place}${f.message}`;
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
    let body;
    try {
      // urlencoded, as the form itself submits (FormData alone would be multipart, which the server
      // refuses beyond 1,000 parts: about 70 staff lines)
      const response = await fetch(form.dataset.previewUrl, {
        method: "POST", body: new URLSearchParams(new FormData(form)), headers: { "Accept": "application/json" },
      });
      if (!response.ok && response.status !== 429) throw new Error(String(response.status));
      body = await response.json();
    } catch (err) {
      if (mine === sequence) stateEl.textContent = "无法连接服务器，请稍后再试";
      return;
    }
    if (mine !== sequence) return;            // a newer preview is on its way
    if (body.retry_after) {
      // more pricing than this user may ask for in a while: nothing was priced; ask again when the server says
      document.querySelectorAll("[data-total]").forEach((el) => el.classList.add("stale"));
      stateEl.textContent = body.errors[0].message;
      form.dataset.previewState = "busy";
      clearTimeout(timer);
      timer = setTimeout(preview, body.retry_after * 1000);
      return;
    }
    clearErrors();
    if (body.ok) {
      document.querySelectorAll("[data-total]").forEach((el) => el.classList.remove("stale"));
      render(body);
      showHints(body.hints);
      showInForce(body);
      // overrides whose reason is still to be written: the totals count them, the reason field says so
      showErrors(body.pending);
      stateEl.textContent = body.pending.length ? "已更新（请写明理由后保存）" : "已更新";
      form.dataset.previewState = "ok";
    } else {
      const general = showErrors(body.errors);
      const list = document.getElementById("preview-findings");
      list.replaceChildren();
      clearRowFindings();
      for (const message of general) {
        const li = document.createElement("li");
        li.className = "finding finding-error";
        li.textContent = message;
        list.append(li);
      }
      const count = body.errors.length;
      const fresh = pristine && !touched.size;          // a new, empty form is not an error: nothing typed yet
      document.getElementById("preview-counts").textContent = fresh ? (form.dataset.freshPrompt || "填写项目与人员后，这里显示合计与检查结论")
        : `${count} 处输入需要修改`;
      document.getElementById("preview-counts").className = fresh ? "muted" : "count-error";
      // the totals shown belong to the last valid input: grey them out instead of presenting them as current
      document.querySelectorAll("[data-total]").forEach((el) => el.classList.add("stale"));
      stateEl.textContent = fresh ? "" : "输入有误";
      form.dataset.previewState = fresh ? "fresh" : "invalid";
    }
  }
  const schedule = () => { clearTimeout(timer); stateEl.textContent = "…"; timer = setTimeout(preview, 300); };

  function renumber(kind) {
    const rows = form.querySelectorAll(`tr[data-row="${kind}"]`);
    rows.forEach((row, index) => {
      row.querySelectorAll("[name], [id], [data-error-for], [data-hint-for]").forEach((el) => {
        for (const attr of ["name", "id", "data-error-for", "data-hint-for"]) {
          const value = el.getAttribute(attr);
          if (value) el.setAttribute(attr, value.replace(new RegExp(`^${kind}-\\d+-`), `${kind}-${index}-`));
        }
      });
    });
  }

  form.addEventListener("click", (event) => {
    const add = event.target.closest("[data-add-row]");
    if (add) {
      // the page holds so many rows (data-max-lines); more are edited as a file, which the page then says
      const most = Number(form.dataset.maxLines || 0);
      if (most && form.querySelectorAll("tr[data-row]").length >= most) {
        const full = form.querySelector("[data-lines-full]");
        if (full) {
          full.hidden = false;
          full.scrollIntoView({ block: "center" });
        }
        return;
      }
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
