// lift3d draw: a canvas whose quick 3D preview follows each stroke; "Make 3D" makes the full asset.
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";
import { OrbitControls } from "three/addons/controls/OrbitControls.js";
import { request } from "./http.js";

const $ = (id) => document.getElementById(id);
const TOKEN_KEY = "lift3d-token"; // the studio's: a token given there works here
const POLL_MS = 500;
const UNDO_DEPTH = 50;

const api = (path, options = {}) => request(path, localStorage.getItem(TOKEN_KEY), options);

function showError(message) {
  $("error").textContent = message || "";
  $("error").hidden = !message;
}

// ---------------------------------------------------------------- the paper
const paper = $("paper");
const pen = paper.getContext("2d", { willReadFrequently: true });
const history = [];
let erasing = false;
let drawn = false;

function clearPaper() {
  pen.fillStyle = "#fff";
  pen.fillRect(0, 0, paper.width, paper.height);
}

function point(event) {
  const box = paper.getBoundingClientRect();
  return [(event.clientX - box.left) * paper.width / box.width, (event.clientY - box.top) * paper.height / box.height];
}

function setUpPaper() {
  clearPaper();
  let last = null;
  paper.addEventListener("pointerdown", (event) => {
    history.push(pen.getImageData(0, 0, paper.width, paper.height));
    if (history.length > UNDO_DEPTH) history.shift();
    $("undo").disabled = false;
    paper.setPointerCapture(event.pointerId);
    last = point(event);
    stroke(last, last);
  });
  paper.addEventListener("pointermove", (event) => {
    if (!last) return;
    const next = point(event);
    stroke(last, next);
    last = next;
  });
  const end = () => {
    if (!last) return;
    last = null;
    drawn = true;
    changed();
  };
  paper.addEventListener("pointerup", end);
  paper.addEventListener("pointercancel", end);
  $("pen").addEventListener("click", () => setTool(false));
  $("eraser").addEventListener("click", () => setTool(true));
  $("undo").addEventListener("click", () => {
    if (!history.length) return;
    pen.putImageData(history.pop(), 0, 0);
    $("undo").disabled = !history.length;
    changed();
  });
  $("clear").addEventListener("click", () => {
    history.push(pen.getImageData(0, 0, paper.width, paper.height));
    $("undo").disabled = false;
    clearPaper();
    changed();
  });
}

function setTool(eraser) {
  erasing = eraser;
  $("pen").setAttribute("aria-pressed", String(!eraser));
  $("eraser").setAttribute("aria-pressed", String(eraser));
}

function stroke([x0, y0], [x1, y1]) {
  pen.strokeStyle = erasing ? "#fff" : "#111";
  pen.lineWidth = Number($("width").value) * (erasing ? 3 : 1);
  pen.lineCap = "round";
  pen.lineJoin = "round";
  pen.beginPath();
  pen.moveTo(x0, y0);
  pen.lineTo(x1, y1);
  pen.stroke();
}

function blank() {
  const pixels = pen.getImageData(0, 0, paper.width, paper.height).data;
  for (let i = 0; i < pixels.length; i += 4) if (pixels[i] < 200) return false;
  return true;
}

const pictureBlob = () => new Promise((resolve) => paper.toBlob(resolve, "image/png"));

// ---------------------------------------------------------------- the preview
// One preview in flight at a time; strokes made meanwhile ask for one more when it returns.
let inFlight = false;
let dirty = false;
let previews = 0;

async function changed() {
  $("make").disabled = blank();
  if (blank()) {
    viewer.clear();
    $("status").textContent = "";
    return;
  }
  if (inFlight) { dirty = true; return; }
  inFlight = true;
  dirty = false;
  const started = performance.now();
  try {
    const response = await api("api/preview", { method: "POST", body: await pictureBlob(), headers: { "Content-Type": "image/png" } });
    await viewer.show(await response.arrayBuffer());
    previews += 1;
    paper.dataset.previews = String(previews);
    $("status").textContent = `preview ${Math.round(performance.now() - started)} ms`;
    showError("");
  } catch (error) {
    showError(`no preview: ${error.message}`);
  } finally {
    inFlight = false;
    if (dirty) changed();
  }
}

class PreviewViewer {
  constructor(canvas) {
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
    this.camera.position.set(1.4, 1.3, 2.8);
    this.controls = new OrbitControls(this.camera, canvas);
    this.controls.target.set(0, 0.5, 0); // assets stand on the floor, 1 m tall
    this.controls.update();
    this.controls.addEventListener("change", () => this.render());
    new ResizeObserver(() => this.fit()).observe(canvas);
    this.model = null;
  }

  async show(buffer) {
    const gltf = await new GLTFLoader().parseAsync(buffer, "");
    this.clear();
    this.model = gltf.scene;
    this.scene.add(this.model);
    this.render();
    this.canvas.dataset.rendered = String(Number(this.canvas.dataset.rendered || 0) + 1);
  }

  clear() {
    if (this.model) this.scene.remove(this.model);
    this.model = null;
    this.render();
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
}

const viewer = new PreviewViewer($("view"));

// ---------------------------------------------------------------- Make 3D: an ordinary job
async function make() {
  showError("");
  $("make").disabled = true;
  $("downloads").replaceChildren();
  try {
    const form = new FormData();
    form.append("file", await pictureBlob(), "drawing.png");
    const job = await (await api("api/jobs", { method: "POST", body: form })).json();
    const done = await follow(job.id);
    const glb = done.files.find((file) => file.kind === "glb");
    if (glb) {
      const blob = await (await api(glb.url.replace(/^\//, ""))).blob();
      await viewer.show(await blob.arrayBuffer());
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = glb.name;
      link.textContent = `download ${glb.name}`;
      link.id = "download-glb";
      $("downloads").replaceChildren(link);
    }
  } catch (error) {
    showError(error.message);
    $("status").textContent = "";
  } finally {
    $("make").disabled = !drawn || blank();
  }
}

async function follow(jobId) {
  for (;;) {
    const job = await (await api(`api/jobs/${jobId}`)).json();
    $("status").textContent = `${job.status}: ${job.stage} (${Math.round(job.progress * 100)}%)`;
    if (job.status === "done") return job;
    if (job.status === "failed") throw new Error(job.error);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

setUpPaper();
$("make").addEventListener("click", make);
