// What the client's and the clinician's call pages share: the camera
// check before joining, the people on screen and the call's buttons.
import { show } from "./api.js";
import { Local, fillDevices, blockedHelp } from "./media.js";

// The parts both pages show, filled into their placeholders.
const cameraCheck = `
  <div class="self-preview">
    <video id="preview" autoplay muted playsinline aria-label="Your camera"></video>
    <p class="muted" id="preview-waiting">Starting your camera…</p>
  </div>
  <label for="level">Microphone level: speak to see it move</label>
  <meter id="level" min="0" max="1" low="0.05" value="0"></meter>
  <div data-device hidden>
    <label for="camera">Camera</label>
    <select id="camera"></select>
  </div>
  <div data-device hidden>
    <label for="microphone">Microphone</label>
    <select id="microphone"></select>
  </div>`;
const callStage = `
  <div class="stage" id="stage"></div>
  <video id="self" class="self" autoplay muted playsinline aria-label="Your camera"></video>
  <p class="call-status" id="status" role="status" aria-live="polite"></p>
  <p class="call-status" id="quality" role="status" aria-live="polite"></p>`;
const callControls = `
  <button type="button" class="quiet" id="mute" aria-pressed="false">Mute</button>
  <button type="button" class="quiet" id="camera-off" aria-pressed="false">Camera off</button>
  <button type="button" class="quiet" id="switch-camera">Switch camera</button>`;

// CallPage drives one call page. sections are its section ids; it needs
// "precall", "blocked", "nodevice" and "incall" among them.
export class CallPage {
  constructor(sections) {
    document.querySelector("[data-camera-check]").innerHTML = cameraCheck;
    document.querySelector("[data-call-stage]").innerHTML = callStage;
    document.querySelector("[data-call-controls]").insertAdjacentHTML("afterbegin", callControls);
    this.sections = sections;
    this.local = new Local();
    this.call = null;
    this.poor = new Set(); // the people whose connection is poor now
    this.$ = (id) => document.getElementById(id);
    this.$("retry").addEventListener("click", () => this.check());
    this.$("retry-device").addEventListener("click", () => this.check());
    this.$("camera").addEventListener("change", (e) => this.choose("cameraId", e.target.value));
    this.$("microphone").addEventListener("change", (e) => this.choose("microphoneId", e.target.value));
    this.$("mute").addEventListener("click", () => this.toggle("audio", "mute", "Mute", "Unmute"));
    this.$("camera-off").addEventListener("click", () => this.toggle("video", "camera-off", "Camera off", "Camera on"));
    this.$("switch-camera").addEventListener("click", () => this.switchCamera());
  }

  // check shows the camera and the microphone's level, or says in plain
  // words why they cannot be used. It starts no call.
  async check() {
    show("precall", this.sections);
    this.$("join").disabled = true;
    try {
      await this.local.open();
    } catch (error) {
      if (error.name === "NotAllowedError" || error.name === "SecurityError") {
        this.$("blocked-steps").replaceChildren(...blockedHelp().map((step) => {
          const item = document.createElement("li");
          item.textContent = step;
          return item;
        }));
        show("blocked", this.sections);
      } else {
        show("nodevice", this.sections);
      }
      return false;
    }
    this.$("preview").srcObject = this.local.stream;
    this.$("preview-waiting").hidden = true;
    this.local.meter(this.$("level"));
    await fillDevices(this.local, this.$("camera"), this.$("microphone"));
    const { cameras } = await this.local.devices();
    this.$("switch-camera").hidden = cameras.length < 2 && !/Android|iPhone|iPad/.test(navigator.userAgent);
    this.$("join").disabled = false;
    document.body.dataset.ready = "true";
    return true;
  }

  async choose(field, deviceId) {
    this.local[field] = deviceId;
    await this.local.open();
    this.$("preview").srcObject = this.local.stream;
    this.$("self").srcObject = this.local.stream;
    this.local.meter(this.$("level"));
    if (this.call) this.local.stream.getTracks().forEach((t) => this.call.replaceTrack(t));
  }

  toggle(kind, id, onLabel, offLabel) {
    const on = this.local.toggle(kind);
    const button = this.$(id);
    button.setAttribute("aria-pressed", String(!on));
    button.textContent = on ? onLabel : offLabel;
  }

  async switchCamera() {
    const track = await this.local.switchCamera();
    this.$("self").srcObject = this.local.stream;
    if (this.call) this.call.replaceTrack(track);
  }

  // status is the call's news: who left, a full call, a reconnect. How
  // good the connection is has its own line (quality), so that a change in
  // it never wipes the news.
  status(text) {
    this.$("status").textContent = text;
  }

  // quality marks peer's connection poor or not, and says so while anyone's is.
  quality(peer, poor) {
    if (poor) this.poor.add(peer.id);
    else this.poor.delete(peer.id);
    const tile = document.querySelector(`[data-peer="${CSS.escape(peer.id)}"]`);
    if (tile) tile.classList.toggle("poor", poor);
    this.$("quality").textContent = this.poor.size
      ? "The connection is poor: the picture may freeze or the sound break up. Moving closer to your Wi-Fi can help."
      : "";
  }

  // handlers are the Call's: people appear and go, and the page says how the connection is.
  handlers(onState) {
    return {
      onState: (state, detail) => {
        if (state === "waiting" || state === "in-call") this.local.stopMeter(); // the camera check is over
        if (state === "in-call") {
          this.$("self").srcObject = this.local.stream;
          show("incall", this.sections);
          this.status(this.call.peers.size ? "" : "Waiting for the others to connect…");
        } else if (state === "reconnecting") {
          this.status("Reconnecting… Your connection changed; this takes a moment.");
        }
        onState(state, detail);
      },
      onPeer: (peer) => this.tile(peer),
      onPeerLeft: (peer) => {
        const tile = document.querySelector(`[data-peer="${CSS.escape(peer.id)}"]`);
        if (tile) tile.remove();
        this.quality(peer, false);
        if (this.call && this.call.peers.size === 0 && !this.call.left) {
          this.status(`${peer.name || "The other person"} left the session. You can wait here in case they come back.`);
        }
      },
      onWaiting: (list) => this.waiting && this.waiting(list),
      onQuality: (peer, poor) => this.quality(peer, poor),
    };
  }

  // tile shows one person's video, with their name.
  tile(peer) {
    let tile = document.querySelector(`[data-peer="${CSS.escape(peer.id)}"]`);
    if (!tile) {
      tile = document.createElement("figure");
      tile.dataset.peer = peer.id;
      const video = document.createElement("video");
      video.autoplay = true;
      video.playsInline = true;
      video.setAttribute("aria-label", `Video of ${peer.name || "the other person"}`);
      const caption = document.createElement("figcaption");
      caption.textContent = peer.name;
      tile.append(video, caption);
      this.$("stage").append(tile);
    }
    const video = tile.querySelector("video");
    if (video.srcObject !== peer.stream) video.srcObject = peer.stream;
    video.play().catch(() => {
      // A browser that holds back sound until a tap: offer one.
      if (tile.querySelector("button")) return;
      const button = document.createElement("button");
      button.type = "button";
      button.textContent = "Tap to hear and see";
      button.addEventListener("click", () => { video.play(); button.remove(); });
      tile.append(button);
    });
    this.status("");
  }
}
