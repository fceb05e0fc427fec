export { queue as handler } from './steps';
