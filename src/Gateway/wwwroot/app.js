// OutfitFinder search page: plain JavaScript over the public REST API, nothing loaded from elsewhere.
'use strict';

const $ = id => document.getElementById(id);
const keyStorage = 'outfitfinder.apiKey';
const state = {
  catalogs: [],          // CatalogResponse objects from GET /v1/catalogs
  photo: null,           // the Blob being searched with
  photoUrl: null,
  box: null,             // {x, y, w, h} in the upright photo's pixels, or null for the whole photo
  lastResults: [],
  jobTimer: null,
  searchSeq: 0,
  product: null,         // {catalog, productId, images, selected}
};

// ---- API --------------------------------------------------------------------------------------

/** A failed call, carrying the API's problem details (RFC 7807) as it sent them. */
class ApiProblem extends Error {
  constructor(status, problem) {
    super(problem.detail || problem.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

function headers(extra) {
  const result = new Headers(extra || {});
  const key = sessionStorage.getItem(keyStorage);
  if (key) result.set('X-Api-Key', key);
  return result;
}

async function api(path, options = {}) {
  let response;
  try {
    response = await fetch(path, { ...options, headers: headers(options.headers) });
  } catch (error) {
    throw new ApiProblem(0, { title: 'Gateway unreachable', detail: `The gateway did not answer (${error.message}).` });
  }
  if (!response.ok) {
    let problem = { title: response.statusText || 'Request failed', status: response.status };
    const type = response.headers.get('content-type') || '';
    if (type.includes('json')) {
      try { problem = await response.json(); } catch { /* keep the status line */ }
    } else {
      const text = (await response.text()).trim();
      if (text) problem.detail = text.slice(0, 300);
    }
    throw new ApiProblem(response.status, problem);
  }
  return response;
}

const apiJson = async (path, options) => (await api(path, options)).json();
const catalogPath = name => `/v1/catalogs/${encodeURIComponent(name)}`;
const imageUrl = (catalog, productId, n) => `${catalogPath(catalog)}/products/${encodeURIComponent(productId)}/images/${n}`;

/** Images need the key too when keys are on, so they are fetched and shown from blob URLs. */
async function loadImage(img, url) {
  if (!sessionStorage.getItem(keyStorage)) { img.src = url; return; }
  try {
    const blob = await (await api(url)).blob();
    img.src = URL.createObjectURL(blob);
  } catch { img.alt = `${img.alt} (image unavailable)`; }
}

// ---- problems and status ----------------------------------------------------------------------

function showProblem(error) {
  const problem = error instanceof ApiProblem ? error.problem : { title: 'Error', detail: String(error) };
  $('problem-title').textContent = problem.title || 'Request failed';
  $('problem-detail').textContent = problem.detail || '';
  const status = error instanceof ApiProblem && error.status ? `(${error.status})` : '';
  $('problem-status').textContent = status;
  $('problem').hidden = false;
}

function clearProblem() { $('problem').hidden = true; }
function setStatus(text) { $('status').textContent = text; }

// ---- catalogs ---------------------------------------------------------------------------------

function describeCatalog(c) {
  return `${c.model}, ${c.metric}, ${c.shards} shard${c.shards === 1 ? '' : 's'} · ${c.products.toLocaleString()} products, ${c.images.toLocaleString()} images`;
}

async function loadCatalogs() {
  const select = $('catalog');
  const all = [];
  let after = '';
  try {
    do {
      const page = await apiJson(`/v1/catalogs?limit=100${after ? `&after=${encodeURIComponent(after)}` : ''}`);
      all.push(...page.catalogs);
      after = page.next;
    } while (after && all.length < 1000);
  } catch (error) {
    select.replaceChildren(new Option('Catalogs unavailable', ''));
    showProblem(error);
    return;
  }
  state.catalogs = all;
  const wanted = new URLSearchParams(location.hash.slice(1)).get('catalog') || localStorage.getItem('outfitfinder.catalog');
  select.replaceChildren(...(all.length ? all.map(c => new Option(`${c.name} (${c.products.toLocaleString()} products)`, c.name))
    : [new Option('No catalogs yet: create one with PUT /v1/catalogs/{name}', '')]));
  if (wanted && all.some(c => c.name === wanted)) select.value = wanted;
  catalogChanged();
}

function currentCatalog() { return state.catalogs.find(c => c.name === $('catalog').value) || null; }

function catalogChanged() {
  const catalog = currentCatalog();
  $('catalog-facts').textContent = catalog ? describeCatalog(catalog) : '';
  if (catalog) {
    localStorage.setItem('outfitfinder.catalog', catalog.name);
    history.replaceState(null, '', `#catalog=${encodeURIComponent(catalog.name)}`);
  }
  clearProblem();
  if (!$('view-catalog').hidden) showCatalogView();
  else if (state.photo && catalog) search();
}

// ---- photo in: drop, paste, file, camera ------------------------------------------------------

function takePhoto(blob) {
  if (!blob || !blob.type.startsWith('image/')) {
    showProblem({ title: 'Not an image', detail: 'Drop, paste or choose an image file (JPEG, PNG, WebP, BMP or GIF).' });
    return;
  }
  if (state.photoUrl) URL.revokeObjectURL(state.photoUrl);
  state.photo = blob;
  state.photoUrl = URL.createObjectURL(blob);
  setBox(null);
  const img = $('photo');
  img.onload = () => { $('drop-empty').hidden = true; $('stage').hidden = false; search(); };
  img.src = state.photoUrl;
}

function clearPhoto() {
  state.photo = null;
  setBox(null);
  $('stage').hidden = true;
  $('drop-empty').hidden = false;
  $('results').replaceChildren();
  setStatus('');
  $('file').value = '';
  $('camera').value = '';
  $('drop').focus();
}

function wirePhotoInputs() {
  const drop = $('drop');
  for (const id of ['file', 'camera']) {
    $(id).addEventListener('change', event => { if (event.target.files[0]) takePhoto(event.target.files[0]); });
  }
  drop.addEventListener('dragover', event => { event.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', event => {
    event.preventDefault();
    drop.classList.remove('over');
    const file = [...(event.dataTransfer?.files || [])].find(f => f.type.startsWith('image/'));
    takePhoto(file || null);
  });
  drop.addEventListener('keydown', event => {
    if ((event.key === 'Enter' || event.key === ' ') && event.target === drop && !state.photo) {
      event.preventDefault();
      $('file').click();
    }
  });
  document.addEventListener('paste', event => {
    const item = [...(event.clipboardData?.items || [])].find(i => i.type.startsWith('image/'));
    if (item) { event.preventDefault(); takePhoto(item.getAsFile()); }
  });
  $('clear-photo').addEventListener('click', clearPhoto);
}

// ---- the crop box ------------------------------------------------------------------------------

function setBox(box) {
  state.box = box;
  $('box-text').value = box ? `${box.x},${box.y},${box.w},${box.h}` : '';
  drawBox();
}

/** Places the box overlay: the box is kept in photo pixels, drawn in displayed pixels. */
function drawBox() {
  const img = $('photo');
  const el = $('box');
  if (!state.box || !img.naturalWidth) { el.hidden = true; return; }
  const scale = img.clientWidth / img.naturalWidth;
  Object.assign(el.style, {
    left: `${state.box.x * scale}px`, top: `${state.box.y * scale}px`,
    width: `${state.box.w * scale}px`, height: `${state.box.h * scale}px`,
  });
  el.hidden = false;
}

function wireBoxDrawing() {
  const stage = $('stage');
  const img = $('photo');
  let start = null;
  const toPhoto = event => {
    const rect = img.getBoundingClientRect();
    const scale = img.naturalWidth / rect.width;
    const clamp = (v, max) => Math.max(0, Math.min(max, v));
    return { x: clamp((event.clientX - rect.left) * scale, img.naturalWidth), y: clamp((event.clientY - rect.top) * scale, img.naturalHeight) };
  };
  stage.addEventListener('pointerdown', event => {
    if (!img.naturalWidth) return;
    event.preventDefault();
    stage.setPointerCapture(event.pointerId);
    start = toPhoto(event);
  });
  stage.addEventListener('pointermove', event => {
    if (!start) return;
    const p = toPhoto(event);
    const box = { x: Math.round(Math.min(start.x, p.x)), y: Math.round(Math.min(start.y, p.y)), w: Math.round(Math.abs(p.x - start.x)), h: Math.round(Math.abs(p.y - start.y)) };
    state.box = box;
    $('box-text').value = `${box.x},${box.y},${box.w},${box.h}`;
    drawBox();
  });
  const finish = () => {
    if (!start) return;
    start = null;
    // A click without a drag, or a sliver, means "the whole photo".
    if (!state.box || state.box.w < 8 || state.box.h < 8) setBox(null);
    search();
  };
  stage.addEventListener('pointerup', finish);
  stage.addEventListener('pointercancel', finish);
  window.addEventListener('resize', drawBox);
  $('clear-box').addEventListener('click', () => { setBox(null); if (state.photo) search(); });
  $('box-text').addEventListener('change', event => {
    const text = event.target.value.trim();
    const parts = text.split(',').map(Number);
    if (!text) { setBox(null); search(); return; }
    // Sent as typed: the API says what is wrong with a bad box.
    state.box = parts.length === 4 && parts.every(Number.isInteger) ? { x: parts[0], y: parts[1], w: parts[2], h: parts[3], text } : { text };
    drawBox();
    search();
  });
}

// ---- search and results -----------------------------------------------------------------------

function placeholders(n) {
  const items = [];
  for (let i = 0; i < Math.min(n, 24); i++) {
    const li = document.createElement('li');
    li.innerHTML = '<div class="hit placeholder" aria-hidden="true"><div class="thumb"></div><div class="line"></div><div class="line"></div></div>';
    items.push(li);
  }
  return items;
}

async function search(event) {
  event?.preventDefault();
  const catalog = currentCatalog();
  if (!state.photo) { setStatus('Add a photo to search.'); $('drop').focus(); return; }
  if (!catalog) { showProblem({ title: 'No catalog', detail: 'Pick a catalog to search.' }); return; }
  clearProblem();
  const seq = ++state.searchSeq;
  const k = $('k').value || '20';
  const body = new FormData();
  body.append('image', state.photo, state.photo.name || 'photo');
  const boxText = state.box ? (state.box.text ?? `${state.box.x},${state.box.y},${state.box.w},${state.box.h}`) : '';
  if (boxText) body.append('box', boxText);
  const query = new URLSearchParams({ k });
  const category = $('category').value.trim();
  if (category) query.set('category', category);
  $('results').replaceChildren(...placeholders(Number(k) || 20));
  $('results').setAttribute('aria-busy', 'true');
  $('search-button').disabled = true;
  setStatus(boxText ? `Searching the boxed region ${boxText}…` : 'Searching…');
  try {
    const answer = await apiJson(`${catalogPath(catalog.name)}/search?${query}`, { method: 'POST', body });
    if (seq !== state.searchSeq) return;
    showResults(catalog.name, answer);
  } catch (error) {
    if (seq !== state.searchSeq) return;
    $('results').replaceChildren();
    setStatus('');
    showProblem(error);
  } finally {
    if (seq === state.searchSeq) {
      $('search-button').disabled = false;
      $('results').removeAttribute('aria-busy');
    }
  }
}

function metadataText(metadata) {
  return metadata ? Object.entries(metadata).map(([k, v]) => `${k}: ${v}`).join(' · ') : '';
}

function showResults(catalog, answer) {
  state.lastResults = answer.results;
  const partial = answer.partial ? ' Some shards did not answer in time: results are partial.' : '';
  setStatus(`${answer.results.length} result${answer.results.length === 1 ? '' : 's'} in ${answer.tookMs.toFixed(0)} ms.${partial}`);
  const categories = new Set(answer.results.map(r => r.category).filter(Boolean));
  $('categories').replaceChildren(...[...categories].sort().map(c => new Option(c)));
  $('results').replaceChildren(...answer.results.map((hit, rank) => {
    const li = document.createElement('li');
    const card = document.createElement('button');
    card.type = 'button';
    card.className = 'hit';
    card.dataset.productId = hit.productId;
    const img = document.createElement('img');
    img.className = 'thumb';
    img.alt = hit.productId;
    img.width = 170; img.height = 170;
    img.loading = 'lazy';
    loadImage(img, imageUrl(catalog, hit.productId, hit.imageIndex));
    const lines = [
      ['rank', `#${rank + 1}`], ['id', hit.productId], ['score', `score ${hit.score.toFixed(4)}`],
      ['category', hit.category || 'no category'], ['meta', metadataText(hit.metadata)],
    ].map(([cls, text]) => { const div = document.createElement('div'); div.className = cls; div.textContent = text; return div; });
    lines[4].title = lines[4].textContent;
    card.append(img, ...lines);
    card.setAttribute('aria-label', `Result ${rank + 1}: ${hit.productId}, score ${hit.score.toFixed(3)}${hit.category ? `, ${hit.category}` : ''}`);
    card.addEventListener('click', () => openProduct(catalog, hit.productId, hit.imageIndex));
    li.append(card);
    return li;
  }));
}

// ---- product view -----------------------------------------------------------------------------

async function openProduct(catalog, productId, selected = 0) {
  clearProblem();
  let product;
  try {
    product = await apiJson(`${catalogPath(catalog)}/products/${encodeURIComponent(productId)}`);
  } catch (error) { showProblem(error); return; }
  state.product = { catalog, productId, images: product.images, selected: Math.min(selected, product.images - 1) };
  $('product-title').textContent = product.productId;
  $('product-facts').textContent = `${product.category || 'No category'} · ${product.images} image${product.images === 1 ? '' : 's'}`;
  const images = [];
  for (let n = 0; n < product.images; n++) {
    const button = document.createElement('button');
    button.type = 'button';
    button.setAttribute('aria-pressed', String(n === state.product.selected));
    button.setAttribute('aria-label', `Image ${n + 1} of ${product.images}`);
    const img = document.createElement('img');
    img.className = 'thumb';
    img.alt = `${product.productId} image ${n + 1}`;
    loadImage(img, imageUrl(catalog, productId, n));
    button.append(img);
    button.addEventListener('click', () => {
      state.product.selected = n;
      for (const b of $('product-images').children) b.setAttribute('aria-pressed', String(b === button));
    });
    images.push(button);
  }
  $('product-images').replaceChildren(...images);
  const rows = Object.entries(product.metadata || {}).map(([k, v]) => {
    const tr = document.createElement('tr');
    const th = document.createElement('th'); th.scope = 'row'; th.textContent = k;
    const td = document.createElement('td'); td.textContent = String(v);
    tr.append(th, td);
    return tr;
  });
  $('product-metadata').replaceChildren(...rows);
  $('product').showModal();
}

async function searchWithProductImage() {
  const { catalog, productId, selected } = state.product;
  try {
    const blob = await (await api(imageUrl(catalog, productId, selected))).blob();
    $('product').close();
    showView('search');
    takePhoto(new File([blob], `${productId}-${selected}`, { type: blob.type || 'image/jpeg' }));
  } catch (error) { $('product').close(); showProblem(error); }
}

// ---- catalog view -----------------------------------------------------------------------------

function showView(name) {
  for (const view of ['search', 'catalog']) {
    $(`view-${view}`).hidden = view !== name;
    $(`tab-${view}`).setAttribute('aria-selected', String(view === name));
  }
  if (name === 'catalog') showCatalogView();
  else clearTimeout(state.jobTimer);
}

async function showCatalogView() {
  clearTimeout(state.jobTimer);
  const catalog = currentCatalog();
  if (!catalog) return;
  $('catalog-title').textContent = catalog.name;
  if (!await loadCounts(catalog)) return;
  loadSample(catalog.name);
  await refreshJobs(catalog.name);
}

/** Counts change while a job runs, so they are asked for again on each refresh of a running job. */
async function loadCounts(catalog) {
  try {
    const fresh = await apiJson(catalogPath(catalog.name));
    Object.assign(catalog, fresh);
    $('catalog-facts').textContent = describeCatalog(catalog);
    const option = [...$('catalog').options].find(o => o.value === catalog.name);
    if (option) option.textContent = `${catalog.name} (${catalog.products.toLocaleString()} products)`;
  } catch (error) { showProblem(error); return false; }
  const counts = [['Products', catalog.products], ['Images', catalog.images], ['Shards', catalog.shards], ['Model', catalog.model], ['Metric', catalog.metric], ['Dimension', catalog.dimension]];
  $('catalog-counts').replaceChildren(...counts.map(([label, value]) => {
    const div = document.createElement('div');
    const dt = document.createElement('dt'); dt.textContent = label;
    const dd = document.createElement('dd'); dd.textContent = typeof value === 'number' ? value.toLocaleString() : value;
    div.append(dt, dd);
    return div;
  }));
  return true;
}

async function loadSample(catalog) {
  try {
    const sample = await apiJson(`${catalogPath(catalog)}/vectors?max=12`);
    $('sample').replaceChildren(...sample.products.map(p => {
      const li = document.createElement('li');
      const card = document.createElement('button');
      card.type = 'button'; card.className = 'hit';
      const img = document.createElement('img');
      img.className = 'thumb'; img.alt = p.productId; img.width = 170; img.height = 170;
      loadImage(img, imageUrl(catalog, p.productId, 0));
      const id = document.createElement('div'); id.className = 'id'; id.textContent = p.productId;
      const category = document.createElement('div'); category.className = 'category'; category.textContent = p.category || 'no category';
      card.append(img, id, category);
      card.addEventListener('click', () => openProduct(catalog, p.productId));
      li.append(card);
      return li;
    }));
  } catch (error) { showProblem(error); }
}

function formatEta(seconds) {
  if (seconds == null) return '';
  const s = Math.round(seconds);
  return s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.floor(s % 3600 / 60)} min` : s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

const stateWords = { running: 'running', succeeded: 'succeeded', failed: 'failed', cancelled: 'cancelled', completedWithErrors: 'completed with errors' };

function renderJob(job) {
  const li = document.createElement('li');
  li.className = 'job';
  li.dataset.jobId = job.id;
  li.dataset.state = job.state;
  const done = job.succeeded + job.failed + job.skipped;
  const total = job.total ?? null;
  const head = document.createElement('header');
  const title = document.createElement('strong'); title.textContent = job.id;
  const st = document.createElement('span'); st.className = `state ${job.state}`; st.textContent = stateWords[job.state] || job.state;
  const manifest = document.createElement('span'); manifest.className = 'muted'; manifest.textContent = `${job.source}:${job.manifest}`;
  head.append(title, st, manifest);
  const bar = document.createElement('progress');
  bar.max = Math.max(1, total ?? done + 1);
  bar.value = done;
  bar.setAttribute('aria-label', `${job.id} progress`);
  const facts = document.createElement('p');
  facts.className = 'facts job-facts';
  const eta = job.state === 'running' && job.etaSeconds != null ? ` · ETA ${formatEta(job.etaSeconds)}` : '';
  facts.textContent = `${done.toLocaleString()} / ${total == null ? '?' : total.toLocaleString()} rows · ${job.succeeded.toLocaleString()} stored · ${job.failed.toLocaleString()} failed · ${job.skipped.toLocaleString()} skipped · ${job.imagesPerSecond.toFixed(1)} images/s${eta}`;
  li.append(head, bar, facts);
  if (job.error) {
    const error = document.createElement('p'); error.className = 'problem'; error.textContent = job.error;
    li.append(error);
  }
  if (job.failures.length) {
    const details = document.createElement('details');
    const summary = document.createElement('summary');
    const unlisted = job.failuresNotListed ? ` (${job.failuresNotListed.toLocaleString()} more not listed)` : '';
    summary.textContent = `${job.failures.length} failed row${job.failures.length === 1 ? '' : 's'}${unlisted}`;
    const table = document.createElement('table');
    table.innerHTML = '<thead><tr><th>Row</th><th>Product</th><th>Image</th><th>Reason</th></tr></thead>';
    const tbody = document.createElement('tbody');
    for (const f of job.failures) {
      const tr = document.createElement('tr');
      for (const value of [f.row, f.productId ?? '', f.image ?? '', f.reason]) {
        const td = document.createElement('td'); td.textContent = String(value); tr.append(td);
      }
      tbody.append(tr);
    }
    table.append(tbody);
    details.append(summary, table);
    li.append(details);
  }
  return li;
}

async function refreshJobs(catalog, wasRunning = false) {
  let jobs;
  try {
    jobs = await apiJson(`${catalogPath(catalog)}/ingestions`);
  } catch (error) { showProblem(error); return; }
  if (currentCatalog()?.name !== catalog || $('view-catalog').hidden) return;
  // Keep open failure lists open across refreshes.
  const open = new Set([...document.querySelectorAll('#jobs details[open]')].map(d => d.closest('.job').dataset.jobId));
  $('jobs').replaceChildren(...(jobs.length ? jobs.map(renderJob) : [Object.assign(document.createElement('li'), { className: 'muted', textContent: 'No ingestion jobs yet.' })]));
  for (const id of open) document.querySelector(`#jobs .job[data-job-id="${CSS.escape(id)}"] details`)?.setAttribute('open', '');
  clearTimeout(state.jobTimer);
  if (wasRunning) {
    const current = currentCatalog();
    if (current) await loadCounts(current);
    loadSample(catalog);
  }
  const running = jobs.some(j => j.state === 'running');
  if (running) {
    state.jobTimer = setTimeout(() => refreshJobs(catalog, true), 1000);
  }
}

// ---- start ------------------------------------------------------------------------------------

function wireKey() {
  const input = $('api-key');
  input.value = sessionStorage.getItem(keyStorage) || '';
  input.addEventListener('change', () => {
    const key = input.value.trim();
    if (key) sessionStorage.setItem(keyStorage, key); else sessionStorage.removeItem(keyStorage);
    loadCatalogs();
  });
}

document.addEventListener('DOMContentLoaded', () => {
  wireKey();
  wirePhotoInputs();
  wireBoxDrawing();
  $('catalog').addEventListener('change', catalogChanged);
  $('search').addEventListener('submit', search);
  $('tab-search').addEventListener('click', () => showView('search'));
  $('tab-catalog').addEventListener('click', () => showView('catalog'));
  $('search-with').addEventListener('click', searchWithProductImage);
  loadCatalogs();
});
