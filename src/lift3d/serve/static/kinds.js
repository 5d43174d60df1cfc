// lift3d studio: the kind of input, which fields and how many files it takes, which formats it downloads.
// What each kind takes comes from /api/info (lift3d.serve.kinds), so the page never restates it.
const $ = (id) => document.getElementById(id);
const FORMAT_LABELS = { glb: "GLB", obj: "OBJ (zip)", stl: "STL", ply: "PLY", usdz: "USDZ", preview: "Preview PNG" };
let kinds = {};

export function setUpKinds(info) {
  kinds = info.kinds;
  for (const option of $("kind").options) option.disabled = !(option.value in kinds);
  applyKind();
}

function kindName() {
  return $("kind").value;
}

// Show and enable only the fields the chosen kind uses: a disabled control is left out of the form,
// so the server never sees an option that means nothing for the kind.
export function applyKind() {
  const name = kindName();
  const kind = kinds[name];
  if (!kind) return;
  for (const control of $("job-form").elements) {
    if (!control.name || control.name === "kind" || control.name === "file") continue;
    const used = kind.fields.includes(control.name);
    control.disabled = !used;
    const label = control.closest("label");
    if (label) label.hidden = !used;
  }
  for (const set of document.querySelectorAll("fieldset[data-kind]")) set.hidden = set.dataset.kind !== name;
  $("file").multiple = kind.max_files > 1;
  if (!$("file").files.length) $("drop-hint").textContent = `Drop ${kind.files} here, or click to choose`;
  $("formats").replaceChildren(...kind.formats.map((format) => {
    const label = document.createElement("label");
    const box = document.createElement("input");
    box.type = "checkbox";
    box.value = format;
    box.checked = kind.default_formats.includes(format);
    label.append(box, FORMAT_LABELS[format] || format);
    return label;
  }));
}

// The ticked formats as the server's comma-separated field.
export function chosenFormats() {
  return [...$("formats").querySelectorAll("input:checked")].map((box) => box.value).join(",");
}
