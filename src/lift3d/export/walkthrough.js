// lift3d walkthrough: walk through a floor plan's GLB in first person, with a map.
// One source for the offline page (lift3d convert plan.png -o house.html) and the studio.
// The layout comes from lift3d.export.walkthrough.walk_layout: metres, points (X, Z),
// collision segments [X0, Z0, X1, Z1] cut from the walls at knee height (doors are gaps).
import * as THREE from "three";
import { GLTFLoader } from "three/addons/loaders/GLTFLoader.js";

const WALK_M_PER_S = 1.4;
const RUN_M_PER_S = 3.0;
const TURN_DEG_PER_S = 90;
const MOUSE_DEG_PER_PX = 0.15;
const MAX_STEP_S = 0.1; // a stalled tab must not teleport the walker on its next frame
const MAP_PX = 200;
const KEYS = {
  forward: ["KeyW", "ArrowUp"],
  back: ["KeyS", "ArrowDown"],
  left: ["KeyA"],
  right: ["KeyD"],
  turnLeft: ["ArrowLeft", "KeyQ"],
  turnRight: ["ArrowRight", "KeyE"],
  run: ["ShiftLeft", "ShiftRight"],
};

// Push a circle at (x, z) out of every segment nearer than `radius`; a few rounds settle corners.
export function pushOut(x, z, radius, segments) {
  for (let round = 0; round < 4; round += 1) {
    let moved = false;
    for (const [ax, az, bx, bz] of segments) {
      const ex = bx - ax;
      const ez = bz - az;
      const length2 = ex * ex + ez * ez;
      const t = length2 > 0 ? Math.max(0, Math.min(1, ((x - ax) * ex + (z - az) * ez) / length2)) : 0;
      const dx = x - (ax + t * ex);
      const dz = z - (az + t * ez);
      const distance = Math.hypot(dx, dz);
      if (distance >= radius) continue;
      // Exactly on the segment (never reached with small steps): leave along its normal.
      const [nx, nz] = distance > 1e-9 ? [dx / distance, dz / distance] : [-ez / Math.sqrt(length2), ex / Math.sqrt(length2)];
      x += nx * (radius - distance);
      z += nz * (radius - distance);
      moved = true;
    }
    if (!moved) break;
  }
  return [x, z];
}

// Move by (dx, dz) in steps shorter than half the radius, so no wall is ever stepped over.
export function walk(x, z, dx, dz, radius, segments) {
  const steps = Math.max(1, Math.ceil(Math.hypot(dx, dz) / (radius / 2)));
  for (let step = 0; step < steps; step += 1) [x, z] = pushOut(x + dx / steps, z + dz / steps, radius, segments);
  return [x, z];
}

function insidePolygon(x, z, points) {
  let inside = false;
  for (let i = 0, j = points.length - 1; i < points.length; j = i, i += 1) {
    const [xi, zi] = points[i];
    const [xj, zj] = points[j];
    if (zi > z !== zj > z && x < ((xj - xi) * (z - zi)) / (zj - zi) + xi) inside = !inside;
  }
  return inside;
}

function roomAt(x, z, rooms) {
  const room = rooms.find((candidate) => candidate.outline_m.some((line) => insidePolygon(x, z, line)));
  return room ? room.name.replace("_", " ") : "";
}

// Styles are set through the CSSOM: the studio's Content-Security-Policy refuses new <style> elements.
const STYLES = {
  root: { position: "relative", width: "100%", height: "100%", overflow: "hidden", background: "#a9c4e4", font: "13px system-ui, sans-serif" },
  view: { display: "block", width: "100%", height: "100%", cursor: "crosshair", outline: "none" },
  map: { position: "absolute", left: "12px", bottom: "12px", background: "rgba(255,255,255,.85)", borderRadius: "8px", boxShadow: "0 1px 4px rgba(0,0,0,.3)" },
  hud: { position: "absolute", left: "12px", top: "12px", padding: "6px 10px", background: "rgba(20,24,32,.7)", color: "#fff", borderRadius: "6px", pointerEvents: "none" },
};

function element(tag, style) {
  const made = document.createElement(tag);
  Object.assign(made.style, style);
  return made;
}

// Start a walkthrough in `container`; returns { state(), teleport(x, z, yawDeg), dispose() }.
export function startWalkthrough(container, glb, layout) {
  const root = element("div", STYLES.root);
  root.className = "lift3d-walk";
  const view = element("canvas", STYLES.view);
  view.tabIndex = 0;
  const map = element("canvas", STYLES.map);
  map.className = "lift3d-walk-map";
  const hud = element("div", STYLES.hud);
  const place = document.createElement("b");
  hud.append(place, " · click to look around, WASD or arrows to walk, Shift to run, Esc to let go");
  root.append(view, map, hud);
  container.append(root);

  const renderer = new THREE.WebGLRenderer({ canvas: view, antialias: true, preserveDrawingBuffer: true });
  renderer.setPixelRatio(Math.min(window.devicePixelRatio, 2));
  const scene = new THREE.Scene();
  scene.background = new THREE.Color(0xa9c4e4);
  // Ground around the house, just under the floor slabs, so looking out of a door is not a void.
  const ground = new THREE.Mesh(new THREE.PlaneGeometry(1000, 1000), new THREE.MeshLambertMaterial({ color: 0x9aa58a }));
  ground.rotation.x = -Math.PI / 2;
  ground.position.y = -0.12;
  scene.add(ground);
  scene.add(new THREE.HemisphereLight(0xffffff, 0x7d7468, 2.2));
  const sun = new THREE.DirectionalLight(0xffffff, 1.2);
  sun.position.set(4, 10, 6);
  scene.add(sun);
  const camera = new THREE.PerspectiveCamera(70, 1, 0.05, 500);
  camera.rotation.order = "YXZ";

  const radius = layout.radius_m;
  const segments = layout.segments_m;
  const walker = { x: layout.start.position_m[0], z: layout.start.position_m[1], yaw: layout.start.yaw_deg, pitch: 0, frames: 0 };
  const held = new Set();
  let last = performance.now();
  let frame = 0;
  let disposed = false;
  let dragging = false;

  const pressed = (name) => KEYS[name].some((code) => held.has(code));
  const typing = (event) => /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName || "");
  const keyDown = (event) => {
    if (typing(event)) return;
    if (Object.values(KEYS).some((codes) => codes.includes(event.code))) event.preventDefault();
    held.add(event.code);
  };
  const keyUp = (event) => held.delete(event.code);
  const blur = () => held.clear();
  const look = (dx, dy) => {
    walker.yaw -= dx * MOUSE_DEG_PER_PX;
    walker.pitch = Math.max(-80, Math.min(80, walker.pitch - dy * MOUSE_DEG_PER_PX));
  };
  const mouseMove = (event) => {
    if (document.pointerLockElement === view || dragging) look(event.movementX, event.movementY);
  };
  const mouseDown = () => {
    dragging = true;
    view.focus();
    if (view.requestPointerLock) Promise.resolve(view.requestPointerLock()).catch(() => {}); // drag still works
  };
  const mouseUp = () => { dragging = false; };
  window.addEventListener("keydown", keyDown);
  window.addEventListener("keyup", keyUp);
  window.addEventListener("blur", blur);
  window.addEventListener("mousemove", mouseMove);
  window.addEventListener("mouseup", mouseUp);
  view.addEventListener("mousedown", mouseDown);

  const [minimum, maximum] = layout.bounds_m;
  const span = Math.max(maximum[0] - minimum[0], maximum[1] - minimum[1], 1);
  const mapScale = (MAP_PX - 16) / span;
  map.width = Math.round((maximum[0] - minimum[0]) * mapScale + 16);
  map.height = Math.round((maximum[1] - minimum[1]) * mapScale + 16);
  const toMap = (x, z) => [8 + (x - minimum[0]) * mapScale, 8 + (z - minimum[1]) * mapScale];

  function drawMap() {
    const context = map.getContext("2d");
    context.clearRect(0, 0, map.width, map.height);
    context.fillStyle = "#e8d9c4";
    for (const room of layout.rooms) {
      for (const line of room.outline_m) {
        context.beginPath();
        line.forEach(([x, z], index) => context[index ? "lineTo" : "moveTo"](...toMap(x, z)));
        context.fill();
      }
    }
    context.strokeStyle = "#1d2330";
    context.lineWidth = 1.5;
    context.beginPath();
    for (const [ax, az, bx, bz] of segments) {
      context.moveTo(...toMap(ax, az));
      context.lineTo(...toMap(bx, bz));
    }
    context.stroke();
    const [px, pz] = toMap(walker.x, walker.z);
    const yaw = THREE.MathUtils.degToRad(walker.yaw);
    const [fx, fz] = [-Math.sin(yaw), -Math.cos(yaw)];
    context.fillStyle = "rgba(47,111,222,.35)";
    context.beginPath();
    context.moveTo(px, pz);
    const cone = 3 * mapScale;
    for (const turn of [-0.6, 0.6]) {
      const c = Math.cos(turn);
      const s = Math.sin(turn);
      context.lineTo(px + (fx * c - fz * s) * cone, pz + (fx * s + fz * c) * cone);
    }
    context.fill();
    context.fillStyle = "#d33";
    context.beginPath();
    context.arc(px, pz, Math.max(3, radius * mapScale), 0, 2 * Math.PI);
    context.fill();
  }

  function resize() {
    const { clientWidth: width, clientHeight: height } = view;
    if (!width || !height) return;
    renderer.setSize(width, height, false);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
  }
  const observer = new ResizeObserver(resize);
  observer.observe(view);

  function tick(now) {
    if (disposed) return;
    const seconds = Math.min(MAX_STEP_S, Math.max(0, (now - last) / 1000));
    last = now;
    const turn = (pressed("turnLeft") ? 1 : 0) - (pressed("turnRight") ? 1 : 0);
    walker.yaw += turn * TURN_DEG_PER_S * seconds;
    const ahead = (pressed("forward") ? 1 : 0) - (pressed("back") ? 1 : 0);
    const aside = (pressed("right") ? 1 : 0) - (pressed("left") ? 1 : 0);
    if (ahead || aside) {
      const yaw = THREE.MathUtils.degToRad(walker.yaw);
      const speed = (pressed("run") ? RUN_M_PER_S : WALK_M_PER_S) * seconds / Math.hypot(ahead, aside);
      const dx = (-Math.sin(yaw) * ahead + Math.cos(yaw) * aside) * speed;
      const dz = (-Math.cos(yaw) * ahead - Math.sin(yaw) * aside) * speed;
      [walker.x, walker.z] = walk(walker.x, walker.z, dx, dz, radius, segments);
    }
    camera.position.set(walker.x, layout.eye_height_m, walker.z);
    camera.rotation.set(THREE.MathUtils.degToRad(walker.pitch), THREE.MathUtils.degToRad(walker.yaw), 0);
    renderer.render(scene, camera);
    drawMap();
    place.textContent = roomAt(walker.x, walker.z, layout.rooms) || "outside";
    walker.frames += 1;
    frame = requestAnimationFrame(tick);
  }

  const loaded = new GLTFLoader().parseAsync(glb, "").then((gltf) => {
    if (disposed) return;
    scene.add(gltf.scene);
    root.dataset.loaded = "1";
  }).catch((error) => {
    root.dataset.loaded = "error";
    hud.textContent = `cannot show the model: ${error.message || error}`;
  });
  resize();
  frame = requestAnimationFrame(tick);

  const controller = {
    loaded,
    state: () => ({ x: walker.x, z: walker.z, yaw_deg: walker.yaw, pitch_deg: walker.pitch, eye_m: camera.position.y, frames: walker.frames, loaded: root.dataset.loaded || "" }),
    teleport: (x, z, yawDeg = walker.yaw) => {
      [walker.x, walker.z] = pushOut(x, z, radius, segments);
      walker.yaw = yawDeg;
      walker.pitch = 0;
    },
    dispose: () => {
      disposed = true;
      cancelAnimationFrame(frame);
      observer.disconnect();
      window.removeEventListener("keydown", keyDown);
      window.removeEventListener("keyup", keyUp);
      window.removeEventListener("blur", blur);
      window.removeEventListener("mousemove", mouseMove);
      window.removeEventListener("mouseup", mouseUp);
      if (document.pointerLockElement === view) document.exitPointerLock();
      renderer.dispose();
      renderer.forceContextLoss();
      root.remove();
      if (window.walkthrough === controller) delete window.walkthrough;
    },
  };
  window.walkthrough = controller; // the debug hook tests read: window.walkthrough.state()
  return controller;
}
