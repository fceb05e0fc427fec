export { gate as handler } from './steps';
