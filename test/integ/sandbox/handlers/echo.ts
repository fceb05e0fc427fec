export { echo as handler } from './steps';
