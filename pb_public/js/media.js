// The camera and microphone of this device, for the call pages: preview,
// level meter, device choice, mute, camera off and front/back switch.

// Local holds this device's media stream and what the person chose.
export class Local {
  constructor() {
    this.stream = null;
    this.facing = "user";
    this.cameraId = "";
    this.microphoneId = "";
    this.meterStop = null;
  }

  // open asks for the camera and microphone. It throws an error whose
  // name says why: NotAllowedError when the browser or the person blocks
  // them, NotFoundError when the device has none.
  async open() {
    const video = this.cameraId ? { deviceId: { exact: this.cameraId } } : { facingMode: this.facing };
    const audio = this.microphoneId ? { deviceId: { exact: this.microphoneId } } : true;
    const stream = await navigator.mediaDevices.getUserMedia({ video, audio });
    if (this.stream) {
      // Keep what the person switched off switched off.
      const was = { audio: this.enabled("audio"), video: this.enabled("video") };
      this.stream.getTracks().forEach((t) => t.stop());
      stream.getAudioTracks().forEach((t) => { t.enabled = was.audio; });
      stream.getVideoTracks().forEach((t) => { t.enabled = was.video; });
    }
    this.stream = stream;
    return stream;
  }

  enabled(kind) {
    const track = this.stream && this.stream.getTracks().find((t) => t.kind === kind);
    return Boolean(track && track.enabled);
  }

  // toggle switches the microphone ("audio") or camera ("video") on or off and returns the new state.
  toggle(kind) {
    const on = !this.enabled(kind);
    this.stream.getTracks().filter((t) => t.kind === kind).forEach((t) => { t.enabled = on; });
    return on;
  }

  async devices() {
    const all = await navigator.mediaDevices.enumerateDevices();
    return {
      cameras: all.filter((d) => d.kind === "videoinput"),
      microphones: all.filter((d) => d.kind === "audioinput"),
    };
  }

  // switchCamera moves between the front and back camera (or the next
  // camera on a computer) and returns the new video track.
  async switchCamera() {
    const { cameras } = await this.devices();
    if (cameras.length > 1 && !/Android|iPhone|iPad/.test(navigator.userAgent)) {
      const current = this.stream.getVideoTracks()[0];
      const at = cameras.findIndex((c) => c.deviceId === (current && current.getSettings().deviceId));
      this.cameraId = cameras[(at + 1) % cameras.length].deviceId;
    } else {
      this.cameraId = "";
      this.facing = this.facing === "user" ? "environment" : "user";
    }
    await this.open();
    return this.stream.getVideoTracks()[0];
  }

  // meter shows the microphone's level in element (a <meter>), so the
  // person sees that they can be heard before they join.
  meter(element) {
    this.stopMeter();
    const context = new AudioContext();
    const source = context.createMediaStreamSource(this.stream);
    const analyser = context.createAnalyser();
    analyser.fftSize = 512;
    source.connect(analyser);
    const samples = new Float32Array(analyser.fftSize);
    let frame = 0;
    const draw = () => {
      analyser.getFloatTimeDomainData(samples);
      let sum = 0;
      for (const s of samples) sum += s * s;
      element.value = Math.min(1, Math.sqrt(sum / samples.length) * 4);
      frame = requestAnimationFrame(draw);
    };
    draw();
    this.meterStop = () => {
      cancelAnimationFrame(frame);
      context.close();
    };
  }

  // stopMeter ends the level meter: it draws every frame, which a phone
  // in a call should not spend its battery on once the check is done.
  stopMeter() {
    if (this.meterStop) this.meterStop();
    this.meterStop = null;
  }

  stop() {
    this.stopMeter();
    if (this.stream) this.stream.getTracks().forEach((t) => t.stop());
    this.stream = null;
  }
}

// fillDevices lists the cameras and microphones in two <select>s.
export async function fillDevices(local, cameraSelect, microphoneSelect) {
  const { cameras, microphones } = await local.devices();
  const current = (kind) => {
    const track = local.stream.getTracks().find((t) => t.kind === kind);
    return track ? track.getSettings().deviceId : "";
  };
  for (const [select, list, kind, word] of [[cameraSelect, cameras, "video", "Camera"], [microphoneSelect, microphones, "audio", "Microphone"]]) {
    select.replaceChildren(...list.map((device, i) => {
      const option = document.createElement("option");
      option.value = device.deviceId;
      option.textContent = device.label || `${word} ${i + 1}`;
      option.selected = device.deviceId === current(kind);
      return option;
    }));
    select.closest("[data-device]").hidden = list.length < 2;
  }
}

// blockedHelp is how to allow the camera and microphone in this browser, in plain words.
export function blockedHelp() {
  const agent = navigator.userAgent;
  if (/iPhone|iPad/.test(agent)) {
    return ["Tap the “aA” button at the left of the address bar.", "Tap “Website Settings”.",
      "Set Camera and Microphone to “Allow”.", "Come back to this page and tap “Try again”."];
  }
  if (/Android/.test(agent)) {
    return ["Tap the icon at the left of the address bar.", "Tap “Permissions”.",
      "Turn on Camera and Microphone.", "Come back to this page and tap “Try again”."];
  }
  if (/Firefox/.test(agent)) {
    return ["Click the camera icon at the left of the address bar.", "Remove the “Blocked” entries for the camera and microphone.",
      "Click “Try again” and choose “Allow”."];
  }
  return ["Click the icon at the left of the address bar.", "Set Camera and Microphone to “Allow”.",
    "Click “Try again”."];
}
