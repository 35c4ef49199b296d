'use strict';

/** Server arguments of the driver: which farm, and which of its phones this Appium server serves. */
module.exports = {
  type: 'object',
  title: 'shareflow-farm driver arguments',
  additionalProperties: false,
  required: ['farmUrl'],
  properties: {
    farmUrl: {
      type: 'string',
      format: 'uri',
      description: 'URL of the virtual farm (shareflow sim), e.g. http://127.0.0.1:4720',
    },
    devices: {
      type: 'array',
      items: {type: 'string'},
      description: 'Names or udids of the farm phones this server serves (default: all)',
    },
  },
};
