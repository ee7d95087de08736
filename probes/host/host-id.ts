/** The host pseudo-device's id: its CPU and RAM, and the measured generator's memory and swap. */
export const HOST_DEVICE_ID = 'host';
