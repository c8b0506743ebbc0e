// The annex is rendered in the background: ask how far it is every second, then fetch it (or say why not).
(() => {
  const panel = document.getElementById("annex-wait");
  const state = document.getElementById("annex-state");
  if (!panel || !state) return;
  let delay = 1000;
  const poll = async () => {
    try {
      const answer = await fetch(panel.dataset.statusUrl, { headers: { Accept: "application/json" } });
      const body = await answer.json();
      state.textContent = body.message;
      if (body.status === "done") {
        // the file downloads and this page stays: say it is done (with a link, should the download not start)
        panel.querySelector(".spinner")?.remove();
        const title = panel.querySelector("h1");
        if (title) title.textContent = title.textContent.replace("正在生成", "已生成");
        const link = document.createElement("a");
        link.href = body.url;
        link.textContent = "点此下载";
        state.replaceChildren("已生成，下载已开始；如未开始，请", link, "。");
        window.location.assign(body.url);
        return;
      }
      if (body.status === "failed") { window.location.reload(); return; }
    } catch (error) {
      state.textContent = "暂时无法查询进度，正在重试…";
    }
    delay = Math.min(delay * 1.3, 5000);
    setTimeout(poll, delay);
  };
  setTimeout(poll, delay);
})();
