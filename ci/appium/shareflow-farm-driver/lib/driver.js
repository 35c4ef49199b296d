'use strict';

/**
 * An Appium 3 driver for the phones of shareflow's virtual farm.
 *
 * Like UiAutomator2 and XCUITest, which start a session on an agent inside the
 * phone and then pass every command through to it, this driver opens a session
 * on the farm for the phone asked for and proxies the whole session there. The
 * server arguments say where the farm is and which of its phones this Appium
 * server serves, the way a real server serves the phones plugged into it.
 */

const {BaseDriver, JWProxy, errors} = require('appium/driver');

/** The farm's automation for each platform, as a real phone's Appium would run it. */
const DOWNSTREAM_AUTOMATION = {android: 'UiAutomator2', ios: 'XCUITest'};
/** W3C capabilities that take no vendor prefix. */
const STANDARD_CAPS = new Set([
  'platformName',
  'browserName',
  'browserVersion',
  'acceptInsecureCerts',
  'pageLoadStrategy',
  'proxy',
  'setWindowRect',
  'timeouts',
  'strictFileInteractability',
  'unhandledPromptBehavior',
  'webSocketUrl',
]);

class ShareflowFarmDriver extends BaseDriver {
  /**
   * Routes the harness sends that Appium 3's base method map lacks. A driver declares those
   * itself, in `static newMethodMap`, which the server adds to its routes (@appium/types
   * lib/driver.ts: DriverClass.newMethodMap; appium lib/bootstrap/main-helpers.ts:
   * getExtraMethodMap). Appium 3 moved screen recording out of the base map; UiAutomator2
   * declares these two entries through appium/appium-android-driver lib/method-map.ts, XCUITest
   * in appium/appium-xcuitest-driver lib/method-map.ts. An entry needs a command name to be
   * proxied; the farm answers it.
   * Every other route the harness sends is in the base map: appium-python-client 6 sends
   * clipboard and app management as `mobile:` execute methods, the device log to /se/log.
   */
  static newMethodMap = {
    '/session/:sessionId/appium/start_recording_screen': {
      POST: {command: 'startRecordingScreen', payloadParams: {optional: ['options']}},
    },
    '/session/:sessionId/appium/stop_recording_screen': {
      POST: {command: 'stopRecordingScreen', payloadParams: {optional: ['options']}},
    },
  };

  desiredCapConstraints = {
    platformName: {presence: true, isString: true, inclusionCaseInsensitive: ['Android', 'iOS']},
    deviceName: {isString: true},
    udid: {isString: true},
  };

  /** @type {JWProxy | null} */
  farm = null;

  proxyActive() {
    return Boolean(this.farm?.sessionId);
  }

  canProxy() {
    return true;
  }

  getProxyAvoidList() {
    return [];
  }

  async proxyReqRes(req, res) {
    return await this.farm.proxyReqRes(req, res);
  }

  /** The phones this server serves, when its arguments restrict them. */
  servedDevices() {
    return this.cliArgs?.devices ?? null;
  }

  checkServed(caps) {
    const served = this.servedDevices();
    if (!served) {
      return;
    }
    const wanted = caps.udid ?? caps.deviceName;
    if (!wanted) {
      throw new errors.SessionNotCreatedError(
        `This Appium server serves only ${served.join(', ')}: ask for one by appium:deviceName or appium:udid`,
      );
    }
    if (!served.includes(wanted)) {
      throw new errors.SessionNotCreatedError(
        `This Appium server does not serve '${wanted}'; it serves ${served.join(', ')}`,
      );
    }
  }

  farmProxy() {
    const farmUrl = this.cliArgs?.farmUrl;
    if (!farmUrl) {
      throw new errors.SessionNotCreatedError(
        'The shareflow-farm driver needs the farm URL: start Appium with ' +
          '--driver-shareflow-farm-farm-url URL or server.driver.shareflow-farm.farmUrl in its config file',
      );
    }
    const url = new URL(farmUrl);
    return new JWProxy({
      scheme: url.protocol.replace(':', ''),
      server: url.hostname,
      port: Number(url.port || (url.protocol === 'https:' ? 443 : 80)),
      base: url.pathname.replace(/\/$/, ''),
      log: this.log,
      keepAlive: true,
    });
  }

  /** The capabilities the farm's own automation expects for this phone. */
  downstreamCaps(caps) {
    const out = {};
    for (const [name, value] of Object.entries(caps)) {
      out[STANDARD_CAPS.has(name) ? name : `appium:${name}`] = value;
    }
    out['appium:automationName'] = DOWNSTREAM_AUTOMATION[caps.platformName.toLowerCase()];
    return out;
  }

  async createSession(w3cCaps1, w3cCaps2, w3cCaps3, driverData = []) {
    const [sessionId, caps] = await super.createSession(w3cCaps1, w3cCaps2, w3cCaps3, driverData);
    try {
      this.checkServed(caps);
      this.farm = this.farmProxy();
      const started = await this.farm.command('/session', 'POST', {
        capabilities: {alwaysMatch: this.downstreamCaps(caps), firstMatch: [{}]},
      });
      this.log.info(`Proxying session ${sessionId} to farm session ${this.farm.sessionId}`);
      return [sessionId, {...caps, ...started.capabilities, automationName: caps.automationName}];
    } catch (err) {
      this.farm = null;
      await super.deleteSession(sessionId);
      throw err;
    }
  }

  async deleteSession(sessionId) {
    if (this.farm?.sessionId) {
      try {
        await this.farm.command('', 'DELETE');
      } catch (err) {
        this.log.warn(`The farm could not end its session: ${err.message}`);
      }
    }
    this.farm = null;
    await super.deleteSession(sessionId);
  }
}

module.exports = {ShareflowFarmDriver};
