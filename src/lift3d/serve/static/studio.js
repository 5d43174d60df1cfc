// lift3d studio: upload a picture (or the pictures of another kind), follow the job, look at and download the results.
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { request } from "./http.js";
import { applyKind, chosenFormats, setUpKinds } from "./kinds.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "lift3d-token";
const POLL_MS = 500;
let viewers = [];
let pollTimer = null;
let following = 0; // which follow() call is current, so a stale poll stops itself

// The studio's calls carry the token field's value; a 401 opens the token panel.
async function api(path, options = {}) {
  try {
    return await request(path, $("token").value.trim(), options);
  } catch (error) {
    if (error.status === 401) $("auth").open = true;
    throw error;
  }
}

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

async function loadInfo() {
  try {
    const info = await (await api("api/info")).json();
    $("version").textContent = `version ${info.version}`;
    const select = $("generator");
    select.replaceChildren(...info.generators.map((name) => new Option(name, name, false, name === info.default_generator)));
    for (const [name, option] of Object.entries(info.options)) applyOption($(name), option);
    setUpKinds(info);
    showError("");
    await loadJobs();
  } catch (error) {
    showError(error.message);
  }
}

// Each field's default and range come from /api/info (the converter's options, lowered to this
// server's caps), so the page restates none; a value typed before the info loads again is kept.
function applyOption(control, option) {
  if (!(control instanceof HTMLInputElement || control instanceof HTMLSelectElement)) return;
  if (control.type === "number") {
    for (const [attribute, value] of [["min", option.minimum], ["max", option.maximum]]) {
      if (value === null) control.removeAttribute(attribute);
      else control.setAttribute(attribute, value);
    }
  }
  if (option.default === null || option.default === "" || control.dataset.defaulted) return;
  control.dataset.defaulted = "1";
  if (control.type === "checkbox") control.checked = control.defaultChecked = option.default === true;
  else if (control instanceof HTMLSelectElement) control.value = option.default;
  else control.value = control.defaultValue = String(option.default);
}

async function loadJobs() {
  const { jobs } = await (await api("api/jobs?limit=20")).json();
  $("jobs").replaceChildren(...jobs.map((job) => {
    const item = document.createElement("li");
    const link = document.createElement("a");
    link.textContent = `${job.source}${job.kind === "picture" ? "" : ` (${job.kind})`} · ${job.status}`;
    link.title = new Date(job.created_at * 1000).toLocaleString();
    link.addEventListener("click", () => follow(job.id));
    const remove = document.createElement("button");
    remove.textContent = "×";
    remove.title = "delete this job and its files";
    remove.addEventListener("click", async () => {
      try { await api(`api/jobs/${job.id}`, { method: "DELETE" }); await loadJobs(); } catch (error) { showError(error.message); }
    });
    item.append(link, remove);
    return item;
  }));
}

function pick(files) {
  if (!files || !files.length) return;
  const picked = $("picked");
  if (picked.src) URL.revokeObjectURL(picked.src);
  picked.src = URL.createObjectURL(files[0]);
  picked.hidden = false;
  // The other pictures of a kind that takes several, small, in the order they are sent.
  for (const thumb of $("thumbs").children) URL.revokeObjectURL(thumb.src);
  $("thumbs").replaceChildren(...[...files].slice(1, 24).map((file) => {
    const thumb = new Image();
    thumb.src = URL.createObjectURL(file);
    thumb.alt = file.name;
    return thumb;
  }));
  const names = [...files].map((file) => file.name);
  $("drop-hint").textContent = names.length > 1 ? `${names.length} files: ${names.join(", ")}` : names[0];
  $("submit").disabled = false;
  showOutline($("kind").value === "picture" ? files[0] : null);
}

// The outline convert would use, drawn over the picture before converting, so a bad cutout
// shows at once rather than after waiting for a mesh.
let outlineRequest = 0;
async function showOutline(file) {
  const request = ++outlineRequest;
  const svg = $("outline"), note = $("cutout-note");
  svg.replaceChildren();
  note.hidden = !file;
  if (!file) return; // only one picture of an object has an outline to show
  note.textContent = "finding the object…";
  const form = new FormData();
  form.append("file", file);
  try {
    const found = await (await api("api/cutout", { method: "POST", body: form })).json();
    if (request !== outlineRequest) return; // another picture was chosen meanwhile
    svg.setAttribute("viewBox", `0 0 ${found.width} ${found.height}`);
    svg.setAttribute("preserveAspectRatio", "none");
    svg.replaceChildren(...found.outlines.map((points) => {
      const polygon = document.createElementNS("http://www.w3.org/2000/svg", "polygon");
      polygon.setAttribute("points", points.map(([x, y]) => `${x},${y}`).join(" "));
      return polygon;
    }));
    const share = Math.round(found.object_share * 100);
    note.textContent = `found as ${found.kind}: the outlined object covers ${share} % of the picture`;
  } catch (error) {
    if (request === outlineRequest) note.textContent = `no object found: ${error.message}`;
  }
}

// Back to an empty page: no progress, no result of an earlier job.
function resetResults() {
  viewers.forEach((viewer) => viewer.dispose());
  viewers = [];
  $("status").hidden = true;
  $("progress").value = 0;
  $("stage").textContent = "";
  const empty = document.createElement("p");
  empty.className = "empty";
  empty.textContent = "Results appear here, one viewer per variant: drag to turn, scroll to zoom.";
  $("results").replaceChildren(empty);
}

function fail(message) {
  clearTimeout(pollTimer);
  following++;
  resetResults();
  showError(message);
}

async function submit(event) {
  event.preventDefault();
  showError("");
  resetResults();
  const form = new FormData($("job-form"));
  for (const [key, value] of [...form.entries()]) if (value === "") form.delete(key);
  form.set("formats", chosenFormats());
  $("submit").disabled = true;
  try {
    const job = await (await api("api/jobs", { method: "POST", body: form })).json();
    follow(job.id);
  } catch (error) {
    fail(error.message);
    $("submit").disabled = false;
  }
}

// Poll one job until it is done or failed, showing its progress.
function follow(jobId) {
  clearTimeout(pollTimer);
  const current = ++following;
  $("status").hidden = false;
  const tick = async () => {
    let job;
    try {
      job = await (await api(`api/jobs/${jobId}`)).json();
      if (current !== following) return;
    } catch (error) {
      fail(error.message);
      $("submit").disabled = !$("file").files.length;
      return;
    }
    $("progress").value = job.progress;
    const waiting = job.status === "queued" ? `queued, ${job.queue_position} ahead` : job.stage;
    $("stage").textContent = `${job.source}: ${waiting} (${Math.round(job.progress * 100)}%)`;
    if (job.status === "queued" || job.status === "running") {
      pollTimer = setTimeout(tick, POLL_MS);
      return;
    }
    $("submit").disabled = !$("file").files.length;
    loadJobs().catch(() => {});
    if (job.status === "failed") fail(job.error);
    else showResults(job);
  };
  tick();
}

function showResults(job) {
  viewers.forEach((viewer) => viewer.dispose());
  viewers = [];
  const byVariant = new Map();
  for (const file of job.files) {
    if (file.variant === null) continue;
    if (!byVariant.has(file.variant)) byVariant.set(file.variant, {});
    byVariant.get(file.variant)[file.kind] = file;
  }
  const seed = job.options.convert.seed;
  const cards = [...byVariant.entries()].sort((a, b) => a[0] - b[0]).map(([variant, files]) => {
    const card = document.createElement("article");
    card.className = "card";
    card.dataset.variant = variant;
    card.dataset.kind = job.kind;
    const canvas = document.createElement("canvas");
    const footer = document.createElement("footer");
    const label = document.createElement("span");
    label.textContent = job.kind === "picture"
      ? `variant ${variant + 1} · seed ${seed + variant}`
      : { ortho: "technical views", views: "turntable views", frames: "animation", plan: "floor plan" }[job.kind];
    footer.append(label);
    for (const [kind, text] of [["glb", "GLB"], ["obj.zip", "OBJ"], ["stl", "STL"], ["ply", "PLY"], ["usdz", "USDZ"]]) {
      if (files[kind]) footer.append(downloadButton(files[kind], text));
    }
    card.append(canvas, footer);
    if (files.glb) viewers.push(new Viewer(canvas, files.glb.url.replace(/^\//, ""), { fromAbove: job.kind === "plan" }));
    if (files.glb && files.provenance) offerWalkthrough(footer, files);
    return card;
  });
  const preview = job.files.find((file) => file.kind === "preview");
  if (preview) {
    const card = document.createElement("article");
    card.className = "card";
    const footer = document.createElement("footer");
    const label = document.createElement("span");
    label.textContent = "renders from four sides";
    footer.append(label, downloadButton(preview, "Preview PNG"));
    const image = document.createElement("img");
    image.alt = "renders of each variant from four sides";
    card.append(image, footer);
    cards.push(card);
    api(preview.url.replace(/^\//, ""))
      .then((response) => response.blob())
      .then((blob) => { image.src = URL.createObjectURL(blob); })
      .catch((error) => showError(error.message));
  }
  $("results").replaceChildren(...cards);
}

function downloadButton(file, text) {
  const button = document.createElement("button");
  button.textContent = text;
  button.dataset.download = file.kind;
  button.title = `${file.download_name} (${Math.ceil(file.bytes / 1024)} kB)`;
  // fetch + blob rather than a plain link, so a bearer token can be sent.
  button.addEventListener("click", async () => {
    try {
      const blob = await (await api(file.url.replace(/^\//, ""))).blob();
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = file.download_name;
      link.click();
      setTimeout(() => URL.revokeObjectURL(link.href), 10000);
    } catch (error) {
      showError(error.message);
    }
  });
  return button;
}

// A floor plan's record carries a walkthrough layout: offer to walk through the building,
// with the same module the offline page of `lift3d convert plan.png -o house.html` runs.
async function offerWalkthrough(footer, files) {
  let record;
  try {
    record = await (await api(files.provenance.url.replace(/^\//, ""))).json();
  } catch {
    return; // no record, no walkthrough; the model itself is still shown
  }
  if (!record.walkthrough) return;
  const button = document.createElement("button");
  button.textContent = "Walk through";
  button.dataset.walkthrough = "1";
  button.addEventListener("click", () => openWalkthrough(files.glb, record.walkthrough).catch((error) => showError(error.message)));
  footer.append(button);
}

async function openWalkthrough(glbFile, layout) {
  const glb = await (await api(glbFile.url.replace(/^\//, ""))).arrayBuffer();
  const { startWalkthrough } = await import("../walkthrough.js");
  const overlay = document.createElement("div");
  Object.assign(overlay.style, { position: "fixed", inset: "0", zIndex: "10" }); // CSSOM: the page's CSP allows it
  overlay.id = "walk-overlay";
  const close = document.createElement("button");
  close.textContent = "Close";
  Object.assign(close.style, { position: "absolute", right: "12px", top: "12px", zIndex: "1" });
  document.body.append(overlay);
  const walk = startWalkthrough(overlay, glb, layout);
  overlay.append(close);
  close.addEventListener("click", () => { walk.dispose(); overlay.remove(); });
}

// One interactive view of a GLB; renders only when the camera moves or the size changes.
class Viewer {
  // fromAbove: look down on the model (a floor plan's building) rather than from the front.
  constructor(canvas, url, { fromAbove = false } = {}) {
    this.fromAbove = fromAbove;
    this.canvas = canvas;
    this.renderer = new THREE.WebGLRenderer({ canvas, antialias: true });
    this.renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
    this.scene = new THREE.Scene();
    this.scene.background = new THREE.Color(0xe9ecf1);
    this.scene.add(new THREE.HemisphereLight(0xffffff, 0x8a8f99, 2.0));
    const key = new THREE.DirectionalLight(0xffffff, 1.5);
    key.position.set(2, 3, 4);
    this.scene.add(key);
    this.camera = new THREE.PerspectiveCamera(35, 1, 0.01, 100);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.addEventListener("change", () => this.render());
    this.resize = new ResizeObserver(() => this.fit());
    this.resize.observe(canvas);
    this.load(url);
  }

  async load(url) {
    const loader = new GLTFLoader();
    const token = $("token").value.trim();
    if (token) loader.setRequestHeader({ Authorization: `Bearer ${token}` });
    try {
      const gltf = await loader.loadAsync(url);
      // Frames hidden at the start (scale 0) count too, so a character that walks stays in view.
      const hidden = [];
      gltf.scene.traverse((node) => { if (node.scale.lengthSq() === 0) { hidden.push(node); node.scale.set(1, 1, 1); } });
      const box = new THREE.Box3().setFromObject(gltf.scene);
      hidden.forEach((node) => node.scale.set(0, 0, 0));
      const centre = box.getCenter(new THREE.Vector3());
      const radius = box.getSize(new THREE.Vector3()).length() / 2 || 1;
      gltf.scene.position.sub(centre);
      this.scene.add(gltf.scene);
      const distance = radius / Math.sin(THREE.MathUtils.degToRad(this.camera.fov / 2));
      const direction = this.fromAbove ? [0.35, 1.1, 0.8] : [0.5, 0.35, 1];
      this.camera.position.set(...direction).normalize().multiplyScalar(distance);
      this.camera.near = distance / 100;
      this.camera.far = distance * 10;
      this.controls.target.set(0, 0, 0);
      this.controls.update();
      this.fit();
      this.play(gltf.animations);
      this.canvas.dataset.rendered = "1";
    } catch (error) {
      this.canvas.dataset.rendered = "error";
      showError(`cannot show the model: ${error.message || error}`);
    }
  }

  // Animation frames come as a GLB whose animation shows one frame at a time: play it in a loop.
  play(clips) {
    if (!clips.length) return;
    this.mixer = new THREE.AnimationMixer(this.scene);
    for (const clip of clips) this.mixer.clipAction(clip).play();
    const clock = new THREE.Clock();
    this.renderer.setAnimationLoop(() => {
      this.mixer.update(clock.getDelta());
      this.render();
    });
    this.canvas.dataset.animated = clips[0].duration.toFixed(3);
  }

  fit() {
    const { clientWidth: width, clientHeight: height } = this.canvas;
    if (!width || !height) return;
    this.renderer.setSize(width, height, false);
    this.camera.aspect = width / height;
    this.camera.updateProjectionMatrix();
    this.render();
  }

  render() {
    this.renderer.render(this.scene, this.camera);
  }

  dispose() {
    this.renderer.setAnimationLoop(null);
    this.resize.disconnect();
    this.controls.dispose();
    this.renderer.dispose();
    this.renderer.forceContextLoss();
  }
}

function setUp() {
  const token = $("token");
  token.value = localStorage.getItem(TOKEN_KEY) || "";
  token.addEventListener("change", () => { localStorage.setItem(TOKEN_KEY, token.value.trim()); loadInfo(); });
  $("file").addEventListener("change", () => pick($("file").files));
  $("kind").addEventListener("change", applyKind);
  const drop = $("drop");
  drop.addEventListener("dragover", (event) => { event.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (event) => {
    event.preventDefault();
    drop.classList.remove("over");
    if (!event.dataTransfer.files.length) return;
    $("file").files = event.dataTransfer.files;
    pick(event.dataTransfer.files);
  });
  $("job-form").addEventListener("submit", submit);
  loadInfo();
}

setUp();
