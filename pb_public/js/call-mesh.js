// A call held on Portico: signalling over a streamed POST on this origin,
// and one RTCPeerConnection to each other person in the call. Shared by the
// client's call page and the clinician's.

const RECONNECT_MS = 1500;
const STATS_EVERY_MS = 2000;

// readEvents calls onEvent(name, data) for each server-sent event in the
// response body, until the stream ends.
async function readEvents(response, onEvent) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let name = "message";
      let data = "";
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) name = line.slice(7);
        else if (line.startsWith("data: ")) data += line.slice(6);
      }
      if (data) onEvent(name, JSON.parse(data));
    }
  }
}

// Call is this browser's part in one call. handlers: onState(state, detail),
// onPeer(peer) when someone's media arrives, onPeerLeft(peer),
// onWaiting(list), onQuality(peer, poor).
export class Call {
  constructor({ enterPath, enterBody, headers = {}, stream, handlers }) {
    Object.assign(this, { enterPath, enterBody, headers, stream, handlers });
    this.peers = new Map();
    this.key = "";
    this.id = "";
    this.left = false;
    this.sending = Promise.resolve();
    this.statsTimer = setInterval(() => this.checkQuality(), STATS_EVERY_MS);
    // A phone that moves between networks gets a new path at once.
    addEventListener("online", () => this.restartAll());
    if (navigator.connection) navigator.connection.addEventListener("change", () => this.restartAll());
  }

  // enter opens the signalling stream and keeps it open until the call ends.
  async enter() {
    while (!this.left) {
      let response;
      try {
        response = await fetch(this.enterPath, {
          method: "POST",
          headers: { "Content-Type": "application/json", ...this.headers },
          body: JSON.stringify({ ...this.enterBody, resume: this.key }),
        });
      } catch {
        response = null;
      }
      if (response && response.status !== 200) {
        const data = await response.json().catch(() => ({}));
        this.finish(data.reason || "refused", data);
        return;
      }
      if (response) {
        try {
          await readEvents(response, (name, data) => this.onEvent(name, data));
        } catch {
          // The stream broke: reconnect below.
        }
      }
      if (this.left) return;
      this.handlers.onState("reconnecting");
      await new Promise((resolve) => setTimeout(resolve, RECONNECT_MS));
    }
  }

  onEvent(name, data) {
    switch (name) {
      case "hello":
        this.key = data.key;
        this.id = data.id;
        if (!data.admitted) this.handlers.onState("waiting");
        if (data.resumed) this.restartAll();
        break;
      case "admitted":
        this.rtcConfig = { iceServers: data.iceServers, iceTransportPolicy: data.iceTransportPolicy };
        this.handlers.onState("in-call");
        // The newcomer calls each person already in the call.
        for (const peer of data.peers || []) {
          if (!this.peers.has(peer.id)) this.connect(peer, true);
        }
        break;
      case "peer-joined":
        if (!this.peers.has(data.id)) this.connect(data, false);
        break;
      case "signal":
        this.onSignal(data.from, data.message);
        break;
      case "peer-left":
        this.drop(data.id);
        break;
      case "waiting":
        if (this.handlers.onWaiting) this.handlers.onWaiting(data.waiting || []);
        break;
      case "ended":
        this.finish(data.reason || "ended");
        break;
    }
  }

  // signal passes a message to another person in the call; signals go one
  // after another, so a candidate never overtakes its description.
  signal(to, message) {
    this.sending = this.sending.then(() => this.post("/api/video/signal", { to, message }));
    return this.sending;
  }

  // post sends one request about this browser's part in the call and
  // returns its status (0: no answer). Leaving, admitting and ending go at
  // once, never queued behind a burst of candidates.
  post(path, body) {
    return fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ key: this.key, ...body }),
      keepalive: path === "/api/video/leave",
    }).then((r) => r.status).catch(() => 0);
  }

  connect(person, offerer) {
    const pc = new RTCPeerConnection(this.rtcConfig);
    const peer = { ...person, pc, offerer, candidates: [], stream: new MediaStream(), poor: false, lastLost: 0, lastReceived: 0, pairId: null, pairResponses: 0, pairRoundTrips: 0 };
    this.peers.set(person.id, peer);
    for (const track of this.stream.getTracks()) pc.addTrack(track, this.stream);
    pc.ontrack = (event) => {
      peer.stream.addTrack(event.track);
      this.handlers.onPeer(peer);
    };
    pc.onicecandidate = (event) => {
      if (event.candidate) this.signal(peer.id, { candidate: event.candidate.toJSON() });
    };
    pc.oniceconnectionstatechange = () => {
      const state = pc.iceConnectionState;
      if (state === "failed") this.restart(peer);
      if (state === "disconnected") this.setPoor(peer, true);
      if (state === "connected" || state === "completed") {
        this.setPoor(peer, false);
        this.fitUpload();
      }
    };
    if (offerer) pc.onnegotiationneeded = () => this.offer(peer);
    return peer;
  }

  async offer(peer, iceRestart = false) {
    const offer = await peer.pc.createOffer({ iceRestart });
    await peer.pc.setLocalDescription(offer);
    await this.signal(peer.id, { description: peer.pc.localDescription.toJSON() });
  }

  async onSignal(from, message) {
    let peer = this.peers.get(from);
    if (!peer) {
      if (!message.description || message.description.type !== "offer") return;
      peer = this.connect({ id: from, name: "", role: "" }, false);
    }
    const pc = peer.pc;
    if (message.restart && peer.offerer) {
      this.offer(peer, true);
    } else if (message.description) {
      await pc.setRemoteDescription(message.description);
      for (const candidate of peer.candidates.splice(0)) await pc.addIceCandidate(candidate).catch(() => {});
      if (message.description.type === "offer") {
        await pc.setLocalDescription(await pc.createAnswer());
        await this.signal(peer.id, { description: pc.localDescription.toJSON() });
      }
    } else if (message.candidate) {
      if (pc.remoteDescription) await pc.addIceCandidate(message.candidate).catch(() => {});
      else peer.candidates.push(message.candidate);
    }
  }

  // restart finds a new path to a peer after the network changed: the
  // side that made the first offer restarts ICE, the other asks it to.
  restart(peer) {
    if (peer.offerer) this.offer(peer, true);
    else this.signal(peer.id, { restart: true });
  }

  restartAll() {
    for (const peer of this.peers.values()) this.restart(peer);
  }

  // checkQuality calls a connection poor when packets go missing or the
  // round trip is long; people are told, not left wondering. Both are
  // measured over the last look's window only, so a connection that
  // recovers is called good again at the next look.
  async checkQuality() {
    for (const peer of this.peers.values()) {
      const stats = await peer.pc.getStats().catch(() => null);
      if (!stats) continue;
      let lost = 0;
      let received = 0;
      let pair = null;
      stats.forEach((report) => {
        if (report.type === "inbound-rtp") {
          lost += report.packetsLost || 0;
          received += report.packetsReceived || 0;
        }
        if (report.type === "transport" && report.selectedCandidatePairId) pair = stats.get(report.selectedCandidatePairId) || null;
      });
      const newLost = lost - peer.lastLost;
      const newReceived = received - peer.lastReceived;
      peer.lastLost = lost;
      peer.lastReceived = received;
      const lossy = newReceived + newLost > 0 && newLost / (newReceived + newLost) > 0.08;
      // The mean round trip of the checks answered since the last look, on the same path.
      let rtt = 0;
      const responses = pair ? pair.responsesReceived || 0 : 0;
      const total = pair ? pair.totalRoundTripTime || 0 : 0;
      if (pair && pair.id === peer.pairId && responses > peer.pairResponses) {
        rtt = (total - peer.pairRoundTrips) / (responses - peer.pairResponses);
      }
      Object.assign(peer, { pairId: pair && pair.id, pairResponses: responses, pairRoundTrips: total });
      // A connection that stopped answering stays poor until it answers again.
      this.setPoor(peer, peer.pc.iceConnectionState === "disconnected" || rtt > 0.6 || lossy);
    }
  }

  // setPoor tells the page when a peer's connection turns poor or good again.
  setPoor(peer, poor) {
    if (poor === peer.poor) return;
    peer.poor = poor;
    this.handlers.onQuality(peer, poor);
  }

  // replaceTrack swaps the camera or microphone without a new negotiation.
  replaceTrack(track) {
    for (const peer of this.peers.values()) {
      for (const sender of peer.pc.getSenders()) {
        if (sender.track && sender.track.kind === track.kind) sender.replaceTrack(track);
      }
    }
  }

  drop(id) {
    const peer = this.peers.get(id);
    if (!peer) return;
    peer.pc.close();
    this.peers.delete(id);
    this.fitUpload();
    this.handlers.onPeerLeft(peer);
  }

  // fitUpload shares this device's upload among the others: every other
  // person gets their own copy of the picture, so in a call of three or
  // four each copy is smaller rather than all of them frozen.
  fitUpload() {
    const shared = this.peers.size > 1;
    for (const peer of this.peers.values()) {
      for (const sender of peer.pc.getSenders()) {
        if (!sender.track || sender.track.kind !== "video") continue;
        const params = sender.getParameters();
        if (!params.encodings || !params.encodings.length) continue;
        params.encodings[0].maxBitrate = shared ? 500_000 : 1_500_000;
        params.encodings[0].scaleResolutionDownBy = shared ? 2 : 1;
        sender.setParameters(params).catch(() => {});
      }
    }
  }

  finish(reason, detail) {
    if (this.left) return;
    this.left = true;
    clearInterval(this.statsTimer);
    for (const id of [...this.peers.keys()]) this.drop(id);
    this.handlers.onState(reason, detail);
  }

  // leave takes this browser out of the call at once.
  async leave() {
    if (this.key) await this.post("/api/video/leave", {});
    this.finish("left");
  }
}

// remoteStats is what the pages report of each peer: the video frames
// decoded and the audio energy received so far, whether the media goes
// through a relay, and the ICE credentials in use (new after a restart).
export async function remoteStats(call) {
  const result = [];
  for (const peer of call.peers.values()) {
    const stats = await peer.pc.getStats();
    const entry = { id: peer.id, framesDecoded: 0, audioEnergy: 0, relayed: false, iceUfrag: "" };
    const pairs = new Map();
    stats.forEach((report) => {
      if (report.type === "inbound-rtp" && report.kind === "video") entry.framesDecoded += report.framesDecoded || 0;
      if (report.type === "inbound-rtp" && report.kind === "audio") entry.audioEnergy += report.totalAudioEnergy || 0;
      pairs.set(report.id, report);
    });
    stats.forEach((report) => {
      if (report.type === "transport") entry.iceUfrag = report.iceLocalUsernameFragment || "";
      if (report.type === "transport" && report.selectedCandidatePairId) {
        const pair = pairs.get(report.selectedCandidatePairId);
        const local = pair && pairs.get(pair.localCandidateId);
        entry.relayed = Boolean(local && local.candidateType === "relay");
      }
    });
    result.push(entry);
  }
  return result;
}
