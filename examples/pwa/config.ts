/** The example's fixed token: the reference server behind it accepts this one. */
export const TOKEN = 'example-token';
