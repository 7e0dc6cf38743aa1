// The costs page: reads its view from the URL, asks /api/costs, draws with ECharts. No build step.
(function () {
  'use strict';
  const form = document.getElementById('filters');
  const state = { dimensions: [], chart: echarts.init(document.getElementById('spend-chart')), lastQuery: null, loads: 0 };
  window.llmCosts = state;

  function usd(micros) { return (micros / 1e6).toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 6 }); }
  function text(v) { return v === null || v === undefined ? '(none)' : (v === '' ? '(untagged)' : String(v)); }
  function esc(s) { return String(s).replace(/[&<>"]/g, c => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]); }

  /** The view in the URL: granularity, from, to, stack and one filter per dimension. */
  function view() {
    const p = new URLSearchParams(location.search);
    const v = { granularity: p.get('granularity') || 'day', from: p.get('from') || '', to: p.get('to') || '',
      stack: p.get('stack') || 'team', filters: {} };
    state.dimensions.forEach(d => { if (p.has(d)) v.filters[d] = p.get(d); });
    return v;
  }

  function apiQuery(v, extra) {
    const p = new URLSearchParams({ granularity: v.granularity });
    if (v.from) p.set('from', v.from);
    if (v.to) p.set('to', v.to);
    Object.entries(v.filters).forEach(([d, value]) => p.set(d, value));
    Object.entries(extra || {}).forEach(([k, value]) => p.set(k, value));
    return p.toString();
  }

  async function get(url) {
    const response = await fetch(url);
    const body = await response.text();
    let json = null;
    try { json = JSON.parse(body); } catch (e) { /* CSV or plain text */ }
    if (!response.ok) {
      const error = new Error((json && json.error) || ('HTTP ' + response.status + ' from ' + url));
      error.status = response.status;
      throw error;
    }
    return json;
  }

  function showError(message) {
    const box = document.getElementById('error');
    box.textContent = message;
    box.hidden = !message;
  }

  function fillForm(v) {
    form.granularity.value = v.granularity;
    form.from.value = v.from;
    form.to.value = v.to;
    const stack = document.getElementById('stack');
    stack.innerHTML = state.dimensions.map(d => '<option>' + esc(d) + '</option>').join('');
    stack.value = v.stack;
    document.getElementById('dimension-filters').innerHTML = state.dimensions.map(d =>
      '<label>' + esc(d) + ' <input name="f-' + esc(d) + '" id="filter-' + esc(d) + '" value="' + esc(v.filters[d] || '') + '"></label>').join('');
  }

  function sumBy(rows, key) {
    const sums = new Map();
    rows.forEach(r => {
      const k = key(r);
      const s = sums.get(k) || { requests: 0, input: 0, output: 0, errors: 0, latency: 0, cost: 0 };
      s.requests += r.requests; s.input += r.input_tokens; s.output += r.output_tokens;
      s.errors += r.errors; s.latency += r.latency_ms_total; s.cost += r.cost_micros;
      sums.set(k, s);
    });
    return sums;
  }

  function drawChart(answer, stack) {
    const windows = [...new Set(answer.rows.map(r => r.window_start))].sort();
    const byValue = new Map();
    answer.rows.forEach(r => {
      const name = text(r[stack]);
      if (!byValue.has(name)) byValue.set(name, new Array(windows.length).fill(0));
      byValue.get(name)[windows.indexOf(r.window_start)] += r.cost_micros / 1e6;
    });
    state.chart.setOption({
      tooltip: { trigger: 'axis' },
      legend: { type: 'scroll', top: 0 },
      grid: { left: 60, right: 20, top: 40, bottom: 40 },
      xAxis: { type: 'category', data: windows.map(w => answer.granularity === 'hour' ? w.slice(0, 13).replace('T', ' ') + 'h'
        : w.slice(0, answer.granularity === 'month' ? 7 : 10)) },
      yAxis: { type: 'value', name: 'USD' },
      animation: false,
      series: [...byValue.entries()].map(([name, data]) => ({ name, type: 'bar', stack: 'spend', data }))
    }, true);
  }

  function drawTop(id, answer, dimension) {
    const sums = [...sumBy(answer.rows, r => text(r[dimension])).entries()].sort((a, b) => b[1].cost - a[1].cost);
    document.getElementById(id).innerHTML = '<tr><th>' + esc(dimension) + '</th><th>USD</th><th>requests</th></tr>' +
      sums.map(([name, s]) => '<tr><td>' + esc(name) + '</td><td>' + usd(s.cost) + '</td><td>' + s.requests + '</td></tr>').join('');
  }

  function drawModels(answer) {
    const sums = [...sumBy(answer.rows, r => r.provider + '/' + r.model).entries()].sort((a, b) => b[1].cost - a[1].cost);
    document.getElementById('by-model').innerHTML =
      '<tr><th>provider/model</th><th>USD</th><th>requests</th><th>USD per 1,000 requests</th>' +
      '<th>USD per million tokens</th><th>error rate</th><th>mean latency (ms)</th></tr>' +
      sums.map(([name, s]) => '<tr><td>' + esc(name) + '</td><td>' + usd(s.cost) + '</td><td>' + s.requests + '</td><td>' +
        (s.requests ? usd(s.cost * 1000 / s.requests) : '–') + '</td><td>' +
        (s.input + s.output ? usd(s.cost * 1e6 / (s.input + s.output)) : '–') + '</td><td>' +
        (s.requests ? (100 * s.errors / s.requests).toFixed(1) + '%' : '–') + '</td><td>' +
        (s.requests ? Math.round(s.latency / s.requests) : '–') + '</td></tr>').join('');
  }

  async function drawBudgets() {
    const box = document.getElementById('budgets');
    let budgets;
    try {
      budgets = await get('/budgets');
    } catch (e) {
      box.textContent = e.status === 404 ? 'Budgets are not enabled on this aggregator.' : 'Budgets cannot be read: ' + e.message;
      return;
    }
    if (!budgets.length) { box.textContent = 'No budgets are defined.'; return; }
    box.innerHTML = '<table><tr><th>budget</th><th>scope</th><th>period</th><th>spent / limit (USD)</th><th>fill</th><th>state</th><th>resets</th></tr>' +
      budgets.map(b => {
        const scope = Object.entries(b.scope || {}).filter(([, v]) => v).map(([k, v]) => k + '=' + v).join(' ');
        const pct = Math.min(100, Math.max(0, b.percent || 0));
        const cls = b.percent >= 100 ? 'over' : (b.percent >= 80 ? 'warn' : '');
        return '<tr><td>' + esc(b.id) + '</td><td>' + esc(scope || 'all') + '</td><td>' + esc(b.period) + '</td><td>' +
          usd(b.spent_micros) + ' / ' + usd(b.limit_micros) + '</td><td><span class="fill ' + cls + '"><span style="width:' + pct +
          '%"></span></span> ' + Number(b.percent).toFixed(1) + '%</td><td>' + esc(b.state) + ' (' + esc(b.mode) + ')</td><td>' +
          esc(b.resets_at ? new Date(b.resets_at).toISOString().replace('.000Z', 'Z') : '') + '</td></tr>';
      }).join('') + '</table>';
  }

  async function load() {
    const v = view();
    fillForm(v);
    const main = apiQuery(v, { 'group-by': v.stack });
    state.lastQuery = main;
    document.getElementById('csv-link').href = '/api/costs?' + main + '&format=csv';
    try {
      const [answer, teams, apps, customers, models, byModel] = await Promise.all([
        get('/api/costs?' + main),
        get('/api/costs?' + apiQuery(v, { 'group-by': 'team', top: 10 })),
        get('/api/costs?' + apiQuery(v, { 'group-by': 'app', top: 10 })),
        get('/api/costs?' + apiQuery(v, { 'group-by': 'customer', top: 10 })),
        get('/api/costs?' + apiQuery(v, { 'group-by': 'model', top: 10 })),
        get('/api/costs?' + apiQuery(v, { 'group-by': 'provider,model' }))]);
      showError('');
      document.getElementById('total-cost').textContent = answer.totals.cost_usd;
      document.getElementById('total-requests').textContent = answer.totals.requests;
      document.getElementById('total-tokens').textContent = answer.totals.input_tokens + answer.totals.output_tokens;
      document.getElementById('total-errors').textContent = answer.totals.requests
        ? (100 * answer.totals.errors / answer.totals.requests).toFixed(1) + '%' : '–';
      const forecasts = answer.rows.filter(r => r.forecast_cost_micros !== undefined && r.forecast_cost_micros !== null);
      document.getElementById('forecast-box').hidden = forecasts.length === 0;
      document.getElementById('forecast').textContent = usd(forecasts.reduce((sum, r) => sum + r.forecast_cost_micros, 0));
      drawChart(answer, v.stack);
      drawTop('top-team', teams, 'team');
      drawTop('top-app', apps, 'app');
      drawTop('top-customer', customers, 'customer');
      drawTop('top-model', models, 'model');
      drawModels(byModel);
    } catch (e) {
      // An error replaces the figures: an empty chart would read as "no spend".
      showError(e.message);
      state.chart.clear();
      ['total-cost', 'total-requests', 'total-tokens', 'total-errors'].forEach(id => { document.getElementById(id).textContent = '–'; });
    }
    await drawBudgets();
    state.loads++;
  }

  form.addEventListener('submit', ev => {
    ev.preventDefault();
    const p = new URLSearchParams();
    ['granularity', 'from', 'to', 'stack'].forEach(k => { if (form[k].value) p.set(k, form[k].value); });
    state.dimensions.forEach(d => { const value = form['f-' + d].value; if (value) p.set(d, value); });
    history.pushState(null, '', '?' + p.toString());
    load();
  });
  window.addEventListener('popstate', load);
  window.addEventListener('resize', () => state.chart.resize());

  get('/api/costs/dimensions').then(d => { state.dimensions = d.dimensions; return load(); })
    .catch(e => { showError('cannot reach the query API: ' + e.message); state.loads++; });
})();
